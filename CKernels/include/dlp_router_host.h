/* dlp_router_host.h: host-side loops of the router (mini-MLP) that are too hot for Swift's debug builds:
 * feature hashing, the embedding bag, and Adam steps (dense, and lazy over the embedding rows a batch
 * touches). Deterministic: same inputs, same outputs, no threads. Not part of the kernel table. */
#ifndef DLP_ROUTER_HOST_H
#define DLP_ROUTER_HOST_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Hashed features of a normalized text: scalars [n] (lowercased, whitespace collapsed to single spaces,
 * a space at each end), word_char [n] (1 for letters and digits), classes [n] or NULL (a scalar's class:
 * (general category + 1) << 16 | (scalar >> 7), 0 for a space). Writes character n-grams for every n in
 * [min_n, max_n], then words and (if bigrams) word bigrams, then (if classes) per run of scalars of one
 * class: the category, the class, and the class after the previous run's, each as a bucket id in
 * [0, buckets), to out (capacity entries at most). Returns the number written. */
int64_t dlp_host_hash_features(const uint32_t *scalars, const uint8_t *word_char, const uint32_t *classes, int64_t n,
                               int32_t min_n, int32_t max_n, int32_t bigrams, uint64_t buckets, int32_t *out, int64_t capacity);

/* out[dim] = mean over f in features[n] of table[f, :] (zeros when n == 0). */
void dlp_host_embedding_bag(const float *table, int64_t dim, const int32_t *features, int64_t n, float *out);

/* Adam on n parameters: m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; p -= lr (m/c1) / (sqrt(v/c2) + eps). */
void dlp_host_adam(float *param, const float *grad, float *m, float *v, int64_t n, float lr, float beta1, float beta2,
                   float epsilon, float correction1, float correction2);

/* The embedding-bag backward and a lazy Adam step on every row the batch touched. Example e has features
 * features[offsets[e] .. offsets[e+1]) and output gradient delta[e, :] (dim); a feature row gets
 * delta / count for each occurrence. pairs is scratch of 2 * offsets[batch] int32, grad scratch of dim. */
void dlp_host_embedding_adam(float *table, float *m, float *v, int64_t dim, const int32_t *features, const int64_t *offsets,
                             int64_t batch, const float *delta, float lr, float beta1, float beta2, float epsilon,
                             float correction1, float correction2, int32_t *pairs, float *grad);

#ifdef __cplusplus
}
#endif

#endif
