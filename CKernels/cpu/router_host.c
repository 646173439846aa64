/* router_host.c: feature hashing, embedding bag and Adam for the router (see dlp_router_host.h). */
#include "dlp_router_host.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define FNV_BASIS 0xcbf29ce484222325ull
#define FNV_PRIME 0x00000100000001b3ull

static inline uint64_t mix(uint64_t h, uint32_t value) {
    for (int i = 0; i < 4; i++) {
        h ^= (uint64_t)(value & 0xff);
        h *= FNV_PRIME;
        value >>= 8;
    }
    return h;
}

int64_t dlp_host_hash_features(const uint32_t *s, const uint8_t *word_char, const uint32_t *classes, int64_t n,
                               int32_t min_n, int32_t max_n, int32_t bigrams, uint64_t buckets, int32_t *out, int64_t capacity) {
    int64_t count = 0;
    if (buckets == 0) return 0;
    for (int32_t g = min_n; g <= max_n; g++) {
        for (int64_t start = 0; start + g <= n && count < capacity; start++) {
            uint64_t h = FNV_BASIS ^ (uint64_t)g;
            for (int64_t k = start; k < start + g; k++) h = mix(h, s[k]);
            out[count++] = (int32_t)(h % buckets);
        }
    }
    uint64_t h = 0, previous = 0;
    int in_word = 0, has_previous = 0;
    for (int64_t i = 0; i <= n && count < capacity; i++) {
        if (i < n && word_char[i]) {
            if (!in_word) { h = FNV_BASIS; in_word = 1; }
            h = mix(h, s[i]);
            continue;
        }
        if (!in_word) continue;
        uint64_t word = mix(h, 0x57);
        out[count++] = (int32_t)(word % buckets);
        if (bigrams && has_previous && count < capacity)
            out[count++] = (int32_t)(mix(mix(previous, 0x42), (uint32_t)word) % buckets);
        previous = word;
        has_previous = 1;
        in_word = 0;
    }
    /* scalar classes, once per run: what kind of text this is (emoji, a script, digits, brackets) even
     * when every character of it is unseen */
    if (classes) {
        uint32_t previous_class = 0;
        for (int64_t i = 0; i < n && count + 3 <= capacity; i++) {
            uint32_t c = classes[i];
            if (i > 0 && c == classes[i - 1]) continue;
            if (c != 0) {
                out[count++] = (int32_t)(mix(FNV_BASIS ^ 0x43, c >> 16) % buckets);
                out[count++] = (int32_t)(mix(FNV_BASIS ^ 0x44, c) % buckets);
            }
            out[count++] = (int32_t)(mix(mix(FNV_BASIS ^ 0x45, previous_class), c) % buckets);
            previous_class = c;
        }
    }
    return count;
}

void dlp_host_embedding_bag(const float *table, int64_t dim, const int32_t *features, int64_t n, float *out) {
    memset(out, 0, sizeof(float) * (size_t)dim);
    if (n <= 0) return;
    for (int64_t i = 0; i < n; i++) {
        const float *row = table + (int64_t)features[i] * dim;
        for (int64_t d = 0; d < dim; d++) out[d] += row[d];
    }
    float scale = 1.0f / (float)n;
    for (int64_t d = 0; d < dim; d++) out[d] *= scale;
}

void dlp_host_adam(float *param, const float *grad, float *m, float *v, int64_t n, float lr, float beta1, float beta2,
                   float epsilon, float correction1, float correction2) {
    for (int64_t i = 0; i < n; i++) {
        m[i] = beta1 * m[i] + (1 - beta1) * grad[i];
        v[i] = beta2 * v[i] + (1 - beta2) * grad[i] * grad[i];
        param[i] -= lr * (m[i] / correction1) / (sqrtf(v[i] / correction2) + epsilon);
    }
}

static int compare_pairs(const void *a, const void *b) {
    const int32_t *x = a, *y = b;
    if (x[0] != y[0]) return x[0] < y[0] ? -1 : 1;
    return x[1] < y[1] ? -1 : (x[1] > y[1]);
}

void dlp_host_embedding_adam(float *table, float *m, float *v, int64_t dim, const int32_t *features, const int64_t *offsets,
                             int64_t batch, const float *delta, float lr, float beta1, float beta2, float epsilon,
                             float correction1, float correction2, int32_t *pairs, float *grad) {
    int64_t total = 0;
    for (int64_t e = 0; e < batch; e++)
        for (int64_t i = offsets[e]; i < offsets[e + 1]; i++) {
            pairs[2 * total] = features[i];
            pairs[2 * total + 1] = (int32_t)e;
            total++;
        }
    qsort(pairs, (size_t)total, 2 * sizeof(int32_t), compare_pairs);
    for (int64_t i = 0; i < total;) {
        int32_t row = pairs[2 * i];
        memset(grad, 0, sizeof(float) * (size_t)dim);
        for (; i < total && pairs[2 * i] == row; i++) {
            int32_t e = pairs[2 * i + 1];
            float scale = 1.0f / (float)(offsets[e + 1] - offsets[e]);
            for (int64_t d = 0; d < dim; d++) grad[d] += delta[e * dim + d] * scale;
        }
        int64_t base = (int64_t)row * dim;
        dlp_host_adam(table + base, grad, m + base, v + base, dim, lr, beta1, beta2, epsilon, correction1, correction2);
    }
}
