/* Tokenizer throughput: tokenize 1 MiB of fixed mixed text with each vocabulary given.
 *
 *   build/bench/tokenize_bench VOCAB.gguf... [-n REPEATS]
 *   make bench-tokenize      (imports llama3 / qwen3 / gemma3 from ../shared/tokenizers
 *                             with qlm convert --vocab-only, adds ggml-vocab-llama-spm)
 *
 * The text is generated from a fixed seed, so every run and every machine tokenizes the
 * same bytes: English words and sentences, numbers, punctuation, CJK, emoji (with ZWJ
 * sequences), C and Python code, and runs of white space, in random order. Each
 * vocabulary tokenizes it REPEATS times (default 3); the best time is reported, with
 * the token count and a check that the tokens decode back to the text. Only qlm.h is
 * used. Not built into ./qlm (see the Makefile). */
#include "qlm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TEXT_BYTES (1u << 20)

static uint64_t rng = 0x853C49E6748FEA9Bull;
static uint32_t rnd(uint32_t n) {
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return (uint32_t)(((rng * 0x2545F4914F6CDD1Dull) >> 32) % n);
}

typedef struct {
    char *p;
    size_t n, cap;
} text;

static void put(text *t, const char *s, size_t n) {
    if (t->n + n > t->cap) return; /* the generator stops at the cap */
    memcpy(t->p + t->n, s, n);
    t->n += n;
}
static void puts_(text *t, const char *s) { put(t, s, strlen(s)); }
static void put_cp(text *t, uint32_t cp) {
    char o[4];
    int n;
    if (cp < 0x80) { o[0] = (char)cp; n = 1; }
    else if (cp < 0x800) { o[0] = (char)(0xC0 | cp >> 6); o[1] = (char)(0x80 | (cp & 0x3F)); n = 2; }
    else if (cp < 0x10000) {
        o[0] = (char)(0xE0 | cp >> 12); o[1] = (char)(0x80 | ((cp >> 6) & 0x3F)); o[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        o[0] = (char)(0xF0 | cp >> 18); o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        o[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); o[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    put(t, o, (size_t)n);
}

static const char *const WORDS[] = {
    "the", "of", "and", "to", "in", "is", "that", "for", "it", "as", "was", "with", "be", "by", "on", "not", "he",
    "this", "are", "or", "his", "from", "at", "which", "but", "have", "an", "had", "they", "you", "were", "their",
    "one", "all", "we", "can", "her", "has", "there", "been", "if", "more", "when", "will", "would", "who", "so",
    "model", "token", "language", "inference", "quantized", "weights", "matrix", "attention", "transformer",
    "tokenizer", "vocabulary", "sentence", "international", "unbelievable", "characterization", "Llama", "Qwen",
    "Gemma", "don't", "it's", "we'll", "they've", "I'm", "naïve", "café", "résumé", "Zürich", "São", "Paulo"};
static const char *const CODE[] = {
    "for (int i = 0; i < n; i++) {\n    y[i] += a * x[i];\n}\n",
    "def forward(self, x):\n    h = self.norm(x)\n    return x + self.attn(h, mask=None)\n",
    "#include <stdio.h>\nint main(void) { printf(\"%d\\n\", 42); return 0; }\n",
    "if (rc != QLM_OK) goto done; /* free everything */\n",
    "    const auto &tok = vocab.at(id); // std::map<std::string, int>\n",
    "SELECT name, COUNT(*) FROM tokens WHERE id >= 100 GROUP BY name;\n",
    "{\"role\": \"user\", \"content\": \"Hello!\"}, [1, 2, 3], null, true\n"};
static const char *const PUNCT[] = {".", ",", "!", "?", ";", ":", " -", " --", "...", "(", ")", "\"", "'", "[", "]", "/"};
static const char *const WS[] = {"\n", "\n\n", "    ", "\t", "\t\t", "   \n", "\r\n", "        ", " \n \n"};

static void gen(text *t) {
    while (t->n + 64 < t->cap) {
        uint32_t k = rnd(100);
        if (k < 45) { /* a sentence */
            int words = 3 + (int)rnd(15);
            for (int w = 0; w < words; w++) {
                const char *word = WORDS[rnd(sizeof WORDS / sizeof WORDS[0])];
                if (w == 0 && word[0] >= 'a' && word[0] <= 'z') {
                    char c = (char)(word[0] - 32);
                    put(t, &c, 1);
                    puts_(t, word + 1);
                } else {
                    puts_(t, word);
                }
                if (rnd(8) == 0) puts_(t, PUNCT[rnd(sizeof PUNCT / sizeof PUNCT[0])]);
                puts_(t, w + 1 < words ? " " : ". ");
            }
        } else if (k < 55) { /* numbers */
            char num[32];
            int len = snprintf(num, sizeof num, rnd(3) ? "%u" : "%u.%02u", rnd(1000000000u) >> rnd(28), rnd(100));
            put(t, num, (size_t)len);
            puts_(t, rnd(2) ? " " : ", ");
        } else if (k < 67) { /* CJK */
            int n = 2 + (int)rnd(20);
            for (int i = 0; i < n; i++) put_cp(t, 0x4E00 + rnd(0x51A6));
            put_cp(t, rnd(2) ? 0x3002 : 0xFF0C);
        } else if (k < 73) { /* emoji, some joined */
            int n = 1 + (int)rnd(4);
            for (int i = 0; i < n; i++) {
                put_cp(t, 0x1F600 + rnd(0x50));
                if (rnd(4) == 0) { put_cp(t, 0x200D); put_cp(t, 0x1F680 + rnd(0x40)); }
            }
            puts_(t, " ");
        } else if (k < 85) { /* code */
            puts_(t, CODE[rnd(sizeof CODE / sizeof CODE[0])]);
        } else if (k < 93) { /* white space runs */
            puts_(t, WS[rnd(sizeof WS / sizeof WS[0])]);
        } else { /* other scripts: Cyrillic, Greek, Arabic, Devanagari, Hangul */
            static const uint32_t base[] = {0x430, 0x3B1, 0x627, 0x915, 0xAC00};
            static const uint32_t span[] = {32, 24, 26, 36, 11172};
            int s = (int)rnd(5), n = 2 + (int)rnd(10);
            for (int i = 0; i < n; i++) put_cp(t, base[s] + rnd(span[s]));
            puts_(t, " ");
        }
    }
    /* pad to exactly TEXT_BYTES with spaces and letters (all ASCII: no character is cut) */
    for (; t->n < t->cap; t->n++) t->p[t->n] = t->n % 7 ? (char)('a' + t->n % 26) : ' ';
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    int repeats = 3;
    const char *files[64];
    int n_files = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-n") && i + 1 < argc) repeats = atoi(argv[++i]);
        else if (n_files < 64) files[n_files++] = argv[i];
    }
    if (!n_files || repeats < 1) {
        fprintf(stderr, "usage: tokenize_bench VOCAB.gguf... [-n REPEATS]\n");
        return 2;
    }
    text t = {malloc(TEXT_BYTES), 0, TEXT_BYTES};
    int32_t *ids = malloc((TEXT_BYTES + 16) * sizeof *ids);
    char *back = malloc(TEXT_BYTES * 2);
    if (!t.p || !ids || !back) return 1;
    gen(&t);
    printf("text: %zu bytes (fixed seed), best of %d runs each\n", t.n, repeats);
    printf("%-40s %10s %10s %10s %12s %8s\n", "vocabulary", "tokens", "bytes/tok", "best s", "MB/s", "decodes");
    for (int f = 0; f < n_files; f++) {
        qlm_model *m;
        qlm_error err = {0};
        qlm_model_params mp = {.vocab_only = true};
        if (qlm_model_load(files[f], &mp, &m, &err)) {
            fprintf(stderr, "tokenize_bench: %s\n", err.message);
            return 1;
        }
        double best = 1e30;
        int n = 0;
        for (int r = 0; r < repeats; r++) {
            double t0 = now();
            n = qlm_tokenize(m, t.p, t.n, 0, ids, TEXT_BYTES + 16, &err);
            double dt = now() - t0;
            if (n < 0) { fprintf(stderr, "tokenize_bench: %s\n", err.message); return 1; }
            if (dt < best) best = dt;
        }
        /* decode check (SentencePiece adds one leading space) */
        size_t k = 0;
        for (int i = 0; i < n && k < TEXT_BYTES * 2 - 256; i++) {
            int b = qlm_token_bytes(m, ids[i], false, back + k, 256);
            if (b > 0) k += (size_t)b;
        }
        const char *p = back;
        if (k == t.n + 1 && p[0] == ' ') { p++; k--; }
        bool same = k == t.n && !memcmp(p, t.p, k);
        const char *name = strrchr(files[f], '/') ? strrchr(files[f], '/') + 1 : files[f];
        printf("%-40s %10d %10.2f %10.4f %12.2f %8s\n", name, n, (double)t.n / n, best, t.n / best / 1e6,
               same ? "yes" : "NO");
        qlm_model_free(m);
    }
    free(t.p);
    free(ids);
    free(back);
    return 0;
}
