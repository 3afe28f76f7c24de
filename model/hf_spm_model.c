/* SentencePiece tokenizer.model -> an hf_vocab, read by hand from its protobuf.
 *
 * The fields used (sentencepiece_model.proto):
 *   ModelProto      1 pieces (repeated SentencePiece), 2 trainer_spec, 3 normalizer_spec
 *   SentencePiece   1 piece (string), 2 score (float), 3 type (enum, default NORMAL=1:
 *                   UNKNOWN=2, CONTROL=3, USER_DEFINED=4, UNUSED=5, BYTE=6)
 *   TrainerSpec     3 model_type (UNIGRAM=1 default, BPE=2, WORD=3, CHAR=4),
 *                   40 unk_id (0), 41 bos_id (1), 42 eos_id (2), 43 pad_id (-1)
 *   NormalizerSpec  3 add_dummy_prefix (default true)
 * Everything else is skipped by its wire type. Pieces keep their text and score; types
 * map as llama.cpp's converter maps them (user-defined pieces become NORMAL, the
 * others keep their kind). Only BPE models are taken: qlm (like llama.cpp's "llama"
 * tokenizer) merges pieces by score, which is what SentencePiece's BPE does and not what
 * its unigram model does.
 *
 * Wire format: a key varint (field << 3 | wire type), then a varint (0), 8 bytes (1), a
 * length-prefixed run (2) or 4 bytes (5). Every length is checked against the bytes left. */
#include "hf_tokenizer.h"
#include "../ggml-like/error.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const uint8_t *p, *end;
} pb;

static bool pb_varint(pb *b, uint64_t *v) {
    uint64_t x = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (b->p >= b->end) return false;
        uint8_t c = *b->p++;
        if (shift == 63 && c > 1) return false; /* more than 64 bits */
        x |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) { *v = x; return true; }
    }
    return false;
}

/* One field: its number and wire type, and for wire type 2 the sub-range, for 0 the
 * value, for 5 the 4 bytes as an integer. Returns false on malformed input. */
typedef struct {
    uint32_t field, wire;
    uint64_t v;
    pb sub;
} pb_field;

static bool pb_next(pb *b, pb_field *f) {
    uint64_t key;
    if (!pb_varint(b, &key) || key >> 3 == 0 || key >> 3 > 0x1fffffff) return false;
    f->field = (uint32_t)(key >> 3);
    f->wire = (uint32_t)(key & 7);
    switch (f->wire) {
    case 0: return pb_varint(b, &f->v);
    case 1:
        if (b->end - b->p < 8) return false;
        b->p += 8;
        return true;
    case 2: {
        uint64_t n;
        if (!pb_varint(b, &n) || n > (uint64_t)(b->end - b->p)) return false;
        f->sub = (pb){b->p, b->p + n};
        b->p += n;
        return true;
    }
    case 5:
        if (b->end - b->p < 4) return false;
        f->v = (uint64_t)b->p[0] | (uint64_t)b->p[1] << 8 | (uint64_t)b->p[2] << 16 | (uint64_t)b->p[3] << 24;
        b->p += 4;
        return true;
    default: return false; /* groups (3, 4) are not used by this format; 6, 7 do not exist */
    }
}

typedef struct {
    int64_t model_type, unk_id, bos_id, eos_id, pad_id;
    bool add_dummy_prefix;
} spm_specs;

static qlm_status bad(qlm_error *err, const char *fname, const char *what) {
    return qlm_set_error(err, QLM_ERR_FORMAT, "%s: malformed SentencePiece model (%s)", fname, what);
}

static bool read_trainer(pb b, spm_specs *s) {
    pb_field f;
    while (b.p < b.end) {
        if (!pb_next(&b, &f)) return false;
        if (f.wire != 0) continue;
        /* int32 fields: negative values arrive sign-extended to 64 bits */
        int64_t v = (int64_t)f.v;
        switch (f.field) {
        case 3: s->model_type = v; break;
        case 40: s->unk_id = v; break;
        case 41: s->bos_id = v; break;
        case 42: s->eos_id = v; break;
        case 43: s->pad_id = v; break;
        }
    }
    return true;
}

static bool read_normalizer(pb b, spm_specs *s) {
    pb_field f;
    while (b.p < b.end) {
        if (!pb_next(&b, &f)) return false;
        if (f.field == 3 && f.wire == 0) s->add_dummy_prefix = f.v != 0;
    }
    return true;
}

/* A piece: text, score, type. */
static bool read_piece(pb b, pb *text, float *score, int64_t *type) {
    pb_field f;
    text->p = text->end = NULL;
    *score = 0.0f;
    *type = 1;
    while (b.p < b.end) {
        if (!pb_next(&b, &f)) return false;
        if (f.field == 1 && f.wire == 2) *text = f.sub;
        else if (f.field == 2 && f.wire == 5) {
            uint32_t u = (uint32_t)f.v;
            memcpy(score, &u, 4);
        } else if (f.field == 3 && f.wire == 0) *type = (int64_t)f.v;
    }
    return true;
}

static bool is_byte_piece(const uint8_t *s, size_t n) {
    static const char hex[] = "0123456789abcdefABCDEF";
    return n == 6 && !memcmp(s, "<0x", 3) && s[5] == '>' && s[3] && s[4] && strchr(hex, s[3]) && strchr(hex, s[4]);
}

qlm_status hf_vocab_from_spm(const uint8_t *data, size_t size, const char *fname, hf_vocab *v, qlm_error *err) {
    spm_specs s = {.model_type = 1, .unk_id = 0, .bos_id = 1, .eos_id = 2, .pad_id = -1, .add_dummy_prefix = true};
    /* pass 1: structure, specs, piece count */
    pb b = {data, data + size};
    pb_field f;
    int64_t n = 0;
    bool have_trainer = false;
    while (b.p < b.end) {
        if (!pb_next(&b, &f)) return bad(err, fname, "truncated or invalid field");
        if (f.field == 1 && f.wire == 2) {
            if (++n > HF_MAX_TOKENS)
                return qlm_set_error(err, QLM_ERR_FORMAT, "%s: more than %d pieces", fname, HF_MAX_TOKENS);
        } else if (f.field == 2 && f.wire == 2) {
            if (!read_trainer(f.sub, &s)) return bad(err, fname, "trainer_spec");
            have_trainer = true;
        } else if (f.field == 3 && f.wire == 2) {
            if (!read_normalizer(f.sub, &s)) return bad(err, fname, "normalizer_spec");
        }
    }
    if (n == 0) return bad(err, fname, "no pieces");
    if (!have_trainer) return bad(err, fname, "no trainer_spec");
    if (s.model_type != 2) {
        static const char *const names[] = {"?", "unigram", "BPE", "word", "char"};
        return qlm_set_error(err, QLM_ERR_UNSUPPORTED, "%s: SentencePiece %s models are not supported (BPE only)", fname,
                             s.model_type >= 1 && s.model_type <= 4 ? names[s.model_type] : "unknown-type");
    }

    /* pass 2: the pieces */
    qlm_status rc = hf_vocab_resize(v, (int32_t)n, true, 0.0f, err);
    if (rc) return rc;
    v->model = "llama";
    snprintf(v->pre, sizeof v->pre, "default");
    v->add_space_prefix = s.add_dummy_prefix;
    v->unk_id = -1;
    b = (pb){data, data + size};
    int32_t id = 0;
    while (b.p < b.end) {
        pb_next(&b, &f); /* checked in pass 1 */
        if (f.field != 1 || f.wire != 2) continue;
        pb text;
        float score;
        int64_t type;
        char what[64];
        if (!read_piece(f.sub, &text, &score, &type)) {
            snprintf(what, sizeof what, "piece %d", (int)id);
            return bad(err, fname, what);
        }
        size_t len = (size_t)(text.end - text.p);
        if (!text.p || !len)
            return qlm_set_error(err, QLM_ERR_FORMAT, "%s: piece %d has no text", fname, (int)id);
        if (len > 65535)
            return qlm_set_error(err, QLM_ERR_FORMAT, "%s: piece %d is %zu bytes long", fname, (int)id, len);
        if (!isfinite(score))
            return qlm_set_error(err, QLM_ERR_FORMAT, "%s: piece %d has a non-finite score", fname, (int)id);
        int32_t tt;
        switch (type) {
        case 1: case 4: tt = HF_TT_NORMAL; break;
        case 2: tt = HF_TT_UNKNOWN; break;
        case 3: tt = HF_TT_CONTROL; break;
        case 5: tt = HF_TT_UNUSED; break;
        case 6: tt = HF_TT_BYTE; break;
        default:
            return qlm_set_error(err, QLM_ERR_FORMAT, "%s: piece %d has type %lld (1..6 expected)", fname, (int)id,
                                 (long long)type);
        }
        if (tt == HF_TT_BYTE && !is_byte_piece(text.p, len))
            return qlm_set_error(err, QLM_ERR_FORMAT, "%s: byte piece %d is '%.*s', not <0xXX>", fname, (int)id,
                                 (int)(len > 32 ? 32 : len), (const char *)text.p);
        hf_vocab_set_text(v, id, (const char *)text.p, len);
        v->type[id] = tt;
        v->score[id] = score;
        if (tt == HF_TT_UNKNOWN && v->unk_id < 0) v->unk_id = id;
        id++;
    }
    if (v->text.oom) return qlm_set_error(err, QLM_ERR_NOMEM, "out of memory for the pieces");
    /* the special ids the model names itself (-1: disabled) */
    int64_t ids[4] = {s.unk_id, s.bos_id, s.eos_id, s.pad_id};
    static const char *const names[4] = {"unk_id", "bos_id", "eos_id", "pad_id"};
    for (int k = 0; k < 4; k++)
        if (ids[k] < -1 || ids[k] >= n)
            return qlm_set_error(err, QLM_ERR_FORMAT, "%s: trainer_spec.%s = %lld is out of range (%lld pieces)", fname,
                                 names[k], (long long)ids[k], (long long)n);
    v->spm_unk = (int32_t)s.unk_id;
    v->spm_bos = (int32_t)s.bos_id;
    v->spm_eos = (int32_t)s.eos_id;
    v->spm_pad = (int32_t)s.pad_id;
    return QLM_OK;
}
