// The registry of similarity measures: a new measure is one file in this folder plus one line here.
import type { MeasureName } from '../../common/agreement-types';
import { debiasedCKAMeasure, linearCKAMeasure } from './cka-measures';
import { pwccaMeasure, svccaMeasure } from './cca';
import type { SimilarityMeasure } from './measure';
import { mutualKNNMeasure } from './mutual-knn';
import { procrustesMeasure } from './procrustes';
import { rbfCKAMeasure } from './rbf-cka';
import { rsaMeasure } from './rsa';

export const MEASURES: Record<MeasureName, SimilarityMeasure<any>> = {
  cka: linearCKAMeasure,
  debiased: debiasedCKAMeasure,
  procrustes: procrustesMeasure,
  svcca: svccaMeasure,
  pwcca: pwccaMeasure,
  rsa: rsaMeasure,
  knn: mutualKNNMeasure,
  rbf: rbfCKAMeasure,
};
