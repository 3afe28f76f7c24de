/* Tokenizers over the real vocabularies (SentencePiece, byte-level BPE with two
 * pre-tokenizers, WordPiece, and stories260K's small SentencePiece vocab), loaded once
 * from ../shared (or $QLM_SHARED); vocabularies that are absent are left out.
 *
 * Each input is used twice:
 *   as text: tokenized with every combination of QLM_TOK_ADD_BOS and
 *     QLM_TOK_PARSE_SPECIAL, the ids decoded back with qlm_vocab_token_bytes;
 *   as ids: read as little-endian int32 values (any value, out of range included),
 *     each decoded with and without `special`, and all fed to the streaming detokenizer.
 * Properties: every id is in range; the count does not depend on the buffer capacity
 * and a short buffer gets a prefix of the ids; byte-level BPE is lossless (decoding the
 * ids of a text without special parsing gives the text back, byte for byte); the
 * streaming detokenizer's output, put together, is the concatenation of the tokens'
 * bytes (less the one leading space SentencePiece strips). */
#include "fuzz.h"
#include "../../model/gguf.h"
#include "../../model/json.h"
#include "../../model/vocab_internal.h"

#include <string.h>

static const char *const VOCABS[] = {
    "vocab/ggml-vocab-llama-spm.gguf", "vocab/ggml-vocab-gpt-2.gguf", "vocab/ggml-vocab-deepseek-llm.gguf",
    "vocab/ggml-vocab-bert-bge.gguf", "models/stories260K/stories260K.gguf"};
#define N_VOCABS (sizeof VOCABS / sizeof VOCABS[0])

static qlm_vocab *g_vocab[N_VOCABS];
static bool g_loaded;

static void load_vocabs(void) {
    g_loaded = true;
    for (size_t i = 0; i < N_VOCABS; i++) {
        char *path = fuzz_shared_path(VOCABS[i]);
        if (!path) continue;
        qlm_gguf *g = NULL;
        qlm_error err = {0};
        if (qlm_gguf_open(path, &g, &err) == QLM_OK) {
            if (qlm_vocab_load(g, &g_vocab[i], &err) != QLM_OK)
                fprintf(stderr, "fuzz_tokenizer: %s: %s\n", path, err.message);
            qlm_gguf_close(g);
        }
        free(path);
    }
}

/* Growable byte string. */
typedef struct { char *p; size_t n, cap; } str;

static void str_put(str *s, const char *p, size_t n) {
    if (s->n + n + 1 > s->cap) {
        size_t c = s->cap ? s->cap : 256;
        while (c < s->n + n + 1) c *= 2;
        s->p = realloc(s->p, c);
        FUZZ_CHECK(s->p != NULL, "out of memory");
        s->cap = c;
    }
    if (n) memcpy(s->p + s->n, p, n);
    s->n += n;
}

/* Bytes of one token (any id), appended to s; returns the count, or -1 for a bad id. */
static int token_bytes(const qlm_vocab *v, int32_t id, bool special, str *s) {
    char small[8];
    int k = qlm_vocab_token_bytes(v, id, special, small, (int)sizeof small);
    if (k <= 0) return k;
    if (k <= (int)sizeof small) { str_put(s, small, (size_t)k); return k; }
    char *big = malloc((size_t)k);
    FUZZ_CHECK(big != NULL, "out of memory");
    int k2 = qlm_vocab_token_bytes(v, id, special, big, k);
    FUZZ_CHECK(k2 == k, "token %d: %d bytes, then %d", id, k, k2);
    FUZZ_CHECK(!memcmp(big, small, sizeof small), "token %d: a short buffer did not get a prefix", id);
    str_put(s, big, (size_t)k);
    free(big);
    return k;
}

static void as_text(const qlm_vocab *v, const char *text, size_t len) {
    int n_vocab = qlm_vocab_size(v);
    /* room for every id in one call, nearly always (a byte is at most one token, plus
     * the few a vocabulary adds around the text) */
    int cap = (int)len + 8;
    int32_t *ids = malloc((size_t)cap * sizeof *ids);
    FUZZ_CHECK(ids != NULL, "out of memory");
    for (unsigned flags = 0; flags < 4; flags++) {
        int n = qlm_vocab_tokenize(v, text, len, flags, ids, cap);
        FUZZ_CHECK(n >= 0, "tokenize failed: %d", n);
        if (n > cap) {
            cap = n;
            ids = realloc(ids, (size_t)cap * sizeof *ids);
            FUZZ_CHECK(ids != NULL, "out of memory");
            FUZZ_CHECK(qlm_vocab_tokenize(v, text, len, flags, ids, cap) == n, "count changed with the buffer");
        }
        if (flags == 0) {
            /* the count does not depend on the capacity; a short buffer gets a prefix */
            int32_t small[4];
            FUZZ_CHECK(qlm_vocab_tokenize(v, text, len, flags, small, 4) == n, "count with a 4-id buffer");
            FUZZ_CHECK(!memcmp(small, ids, (size_t)(n < 4 ? n : 4) * sizeof *ids), "short buffer is not a prefix");
        }
        str back = {0};
        bool user_defined = false;
        for (int i = 0; i < n; i++) {
            FUZZ_CHECK(ids[i] >= 0 && ids[i] < n_vocab, "id %d out of range (%d tokens)", ids[i], n_vocab);
            FUZZ_CHECK(token_bytes(v, ids[i], flags & QLM_TOK_PARSE_SPECIAL, &back) >= 0, "bytes of id %d", ids[i]);
            user_defined |= (v->tok[ids[i]].attr & QLM_ATTR_USER_DEFINED) != 0;
        }
        /* One exception, as in llama.cpp: DeepSeek's vocabularies add user-defined tokens
         * for the bytes that never occur in UTF-8 (0xC0, 0xC1, 0xF5-0xFF) spelled in the
         * byte map ("ÿ" for 0xFF); a user-defined token decodes verbatim, so such a byte
         * comes back as the UTF-8 of its stand-in. Only invalid UTF-8 text can hit it. */
        if (flags == 0 && v->kind == QLM_VOCAB_BPE && (!user_defined || qlm_utf8_valid(text, len)))
            FUZZ_CHECK(back.n == len && (len == 0 || !memcmp(back.p, text, len)),
                       "byte-level BPE lost bytes: %zu in, %zu out", len, back.n);
        free(back.p);
    }
    free(ids);
}

static void as_ids(const qlm_vocab *v, const uint8_t *data, size_t size) {
    size_t n = size / 4;
    str plain = {0}, streamed = {0}, special = {0};
    bool strip = v->add_space_prefix;
    qlm_detok *d = qlm_detok_new_vocab(v);
    FUZZ_CHECK(d != NULL, "detok_new");
    for (size_t i = 0; i < n; i++) {
        int32_t id;
        memcpy(&id, data + 4 * i, 4);
        /* half the time fold the id into range, so that most ids decode */
        if (id & 0x40000000) id = (int32_t)((uint32_t)id % (uint32_t)qlm_vocab_size(v));
        size_t before = plain.n;
        int k = token_bytes(v, id, false, &plain);
        FUZZ_CHECK((id >= 0 && id < qlm_vocab_size(v)) == (k >= 0), "id %d gave %d", id, k);
        if (k > 0 && strip) {
            strip = false;
            if (plain.p[before] == ' ') {
                memmove(plain.p + before, plain.p + before + 1, plain.n - before - 1);
                plain.n--;
            }
        }
        (void)token_bytes(v, id, true, &special);
        const char *out = qlm_detok_push(d, id);
        str_put(&streamed, out, strlen(out));
    }
    const char *out = qlm_detok_flush(d);
    str_put(&streamed, out, strlen(out));
    qlm_detok_free(d);
    /* a token's bytes may contain NUL, which the detokenizer's C strings cannot carry */
    if (!memchr(plain.p ? plain.p : "", 0, plain.n))
        FUZZ_CHECK(plain.n == streamed.n && (plain.n == 0 || !memcmp(plain.p, streamed.p, plain.n)),
                   "streaming detokenizer gave %zu bytes, the tokens hold %zu", streamed.n, plain.n);
    free(plain.p);
    free(streamed.p);
    free(special.p);
}

int fuzz_tokenizer(const uint8_t *data, size_t size) {
    if (!g_loaded) load_vocabs();
    for (size_t i = 0; i < N_VOCABS; i++) {
        if (!g_vocab[i]) continue;
        as_text(g_vocab[i], (const char *)data, size);
        as_ids(g_vocab[i], data, size);
    }
    return 0;
}

FUZZ_MAIN(fuzz_tokenizer)
