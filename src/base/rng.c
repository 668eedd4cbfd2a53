/*
 * rng.c -- xoshiro256** streams seeded by splitmix64 (see rng.h).
 */
#include <math.h>

#include "rng.h"

uint64_t
rng_mix64(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

void
rng_seed(struct rng *r, uint64_t seed, uint64_t stage, uint64_t block)
{
    uint64_t x = rng_mix64(seed) ^ rng_mix64(stage * 0x632BE59BD9B4E019ULL)
               ^ rng_mix64(block + 0x1B873593ULL);

    for (int i = 0; i < 4; i++) {
        x += 0x9E3779B97F4A7C15ULL;
        r->s[i] = rng_mix64(x);
    }
}

static inline uint64_t
rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t
rng_next(struct rng *r)
{
    uint64_t *s = r->s;
    uint64_t out = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;

    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

double
rng_uniform(struct rng *r)
{
    return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

uint64_t
rng_below(struct rng *r, uint64_t n)
{
    uint64_t lim = -n % n, x;

    do
        x = rng_next(r);
    while (x < lim);
    return x % n;
}

double
rng_normal(struct rng *r)
{
    double u1 = rng_uniform(r), u2 = rng_uniform(r);

    if (u1 < 1e-300)
        u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

double
rng_exponential(struct rng *r)
{
    return -log(1.0 - rng_uniform(r));
}

uint32_t
rng_poisson(struct rng *r, double lambda)
{
    if (lambda <= 0.0)
        return 0;
    if (lambda < 30.0) {
        double l = exp(-lambda), p = 1.0;
        uint32_t k = 0;

        do {
            k++;
            p *= rng_uniform(r);
        } while (p > l);
        return k - 1;
    }
    {
        double v = lambda + sqrt(lambda) * rng_normal(r) + 0.5;

        return v < 0.0 ? 0 : (uint32_t)v;
    }
}

double
rng_gamma(struct rng *r, double shape)
{
    double d, c;

    if (shape < 1.0) {
        double u = rng_uniform(r);

        return rng_gamma(r, shape + 1.0) * pow(u > 0 ? u : 1e-300,
                                               1.0 / shape);
    }
    d = shape - 1.0 / 3.0;
    c = 1.0 / sqrt(9.0 * d);
    for (;;) {
        double x = rng_normal(r), v = 1.0 + c * x, u;

        if (v <= 0.0)
            continue;
        v = v * v * v;
        u = rng_uniform(r);
        if (log(u > 0 ? u : 1e-300) < 0.5 * x * x + d - d * v + d * log(v))
            return d * v;
    }
}
