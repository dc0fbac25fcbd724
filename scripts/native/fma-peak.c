// The float32 FMA peak of this CPU, in GFLOP/s: each thread runs a register-only loop of
// independent 512-bit fused multiply-adds (12 accumulators hide the FMA latency; no memory
// traffic). No GEMM can beat this number; bench-train --peak prints it beside MLAS's GEMM rate.
// Build: cc -O2 -mavx512f -pthread fma-peak.c -o fma-peak     Run: ./fma-peak THREADS
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define ITERS 100000000L  /* loop trips per thread; 12 FMAs of 16 lanes each per trip */

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }

static void *spin(void *out) {
  // distinct start values, read through volatile, so the compiler cannot merge the accumulators
  volatile float seed[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  __m512 a0 = _mm512_set1_ps(seed[0]), a1 = _mm512_set1_ps(seed[1]), a2 = _mm512_set1_ps(seed[2]), a3 = _mm512_set1_ps(seed[3]),
         a4 = _mm512_set1_ps(seed[4]), a5 = _mm512_set1_ps(seed[5]), a6 = _mm512_set1_ps(seed[6]), a7 = _mm512_set1_ps(seed[7]),
         a8 = _mm512_set1_ps(seed[8]), a9 = _mm512_set1_ps(seed[9]), a10 = _mm512_set1_ps(seed[10]), a11 = _mm512_set1_ps(seed[11]);
  const __m512 x = _mm512_set1_ps(0.999999f), y = _mm512_set1_ps(1e-7f);
#define F(r) r = _mm512_fmadd_ps(r, x, y)
  for (long n = 0; n < ITERS; n++) { F(a0); F(a1); F(a2); F(a3); F(a4); F(a5); F(a6); F(a7); F(a8); F(a9); F(a10); F(a11); }
#undef F
  __m512 s = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)), _mm512_add_ps(_mm512_add_ps(a4, a5), _mm512_add_ps(a6, a7)));
  s = _mm512_add_ps(s, _mm512_add_ps(_mm512_add_ps(a8, a9), _mm512_add_ps(a10, a11)));
  *(float *)out = _mm512_reduce_add_ps(s); // keep the result alive
  return NULL;
}

int main(int argc, char **argv) {
  int threads = argc > 1 ? atoi(argv[1]) : 1;
  if (threads < 1 || threads > 64) { fprintf(stderr, "usage: fma-peak THREADS (1..64)\n"); return 1; }
  pthread_t th[64];
  float sink[64];
  double t0 = now();
  for (int i = 0; i < threads; i++) pthread_create(&th[i], NULL, spin, &sink[i]);
  for (int i = 0; i < threads; i++) pthread_join(th[i], NULL);
  double flop = (double)threads * ITERS * 12 * 16 * 2;
  printf("%.1f\n", flop / (now() - t0) / 1e9);
  return sink[0] == 0.0f; // never true; uses the sink
}
