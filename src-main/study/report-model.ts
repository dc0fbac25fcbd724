// Everything the HTML and PDF reports print, gathered once.
import type { StudyFigure, StudySummary } from '../common/study-types';
import type { StudyResults } from './analyses';
import type { ScalePreset, StudyScale } from './plan';
import type { ReportTable, RunRecord } from './report-tables';

export interface ReportFigure extends StudyFigure { svg: string; files: { svg: string; pdf: string; png: string; spec: string } }

export interface ReportModel {
  title: string;
  scale: StudyScale;
  preset: ScalePreset;
  createdAt: string;
  summary: StudySummary;
  results: StudyResults;
  figures: ReportFigure[];
  tables: ReportTable[];
  runs: RunRecord[];
  data: { baseModel: string; corpus: string; tokenizer: string; probe: string; tokensPerRun: number };
  versions: Record<string, string>;
  timings: { label: string; seconds: number }[];
}
