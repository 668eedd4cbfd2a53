/*
 * rng.h -- explicit, seedable random streams.
 *
 * Every random choice in dualrec draws from a struct rng whose state comes
 * from (seed, stage, block) via rng_seed(), never from the thread id or the
 * clock, so results are the same for any OMP_NUM_THREADS.  The generator is
 * xoshiro256** seeded through splitmix64.
 */
#ifndef DUALREC_RNG_H
#define DUALREC_RNG_H

#include <stdint.h>

struct rng {
    uint64_t s[4];
};

/* Seed a stream from a seed and two stream coordinates (stage, block). */
void rng_seed(struct rng *r, uint64_t seed, uint64_t stage, uint64_t block);
uint64_t rng_next(struct rng *r);
/* Uniform in [0, 1). */
double rng_uniform(struct rng *r);
/* Uniform integer in [0, n), n > 0, unbiased. */
uint64_t rng_below(struct rng *r, uint64_t n);
/* Standard normal (Box-Muller, one value per call). */
double rng_normal(struct rng *r);
/* Exponential with rate 1. */
double rng_exponential(struct rng *r);
/* Poisson with mean lambda >= 0 (inversion below 30, normal above). */
uint32_t rng_poisson(struct rng *r, double lambda);
/* Gamma(shape, 1), shape > 0 (Marsaglia-Tsang). */
double rng_gamma(struct rng *r, double shape);
/* A 64-bit mix of x (splitmix64 finaliser), for hashing ids to streams. */
uint64_t rng_mix64(uint64_t x);

#endif
