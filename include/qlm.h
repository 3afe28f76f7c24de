/* qlm: quantized LLM inference on the CPU. The one public header.
 *
 * Every function that can fail returns a qlm_status and, when given a non-NULL
 * qlm_error, fills it with a one-line message. The library never exits the process
 * and keeps no hidden global state apart from the CPU-feature choice (qlm_isa_*).
 *
 * Life cycle:  qlm_model_load -> qlm_context_new -> qlm_eval ... -> qlm_context_free
 *              -> qlm_model_free.  A model is read-only after load and may be shared
 *              by several contexts; a context is used by one thread at a time.
 */
#ifndef QLM_H
#define QLM_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

struct tm;

#ifdef __cplusplus
extern "C" {
#endif

#define QLM_VERSION "0.1.0"

typedef enum {
    QLM_OK = 0,
    QLM_ERR_IO,           /* cannot open/read/write/map a file */
    QLM_ERR_FORMAT,       /* malformed input (bad GGUF, bad JSON, ...) */
    QLM_ERR_UNSUPPORTED,  /* well-formed but not supported (tensor type, architecture) */
    QLM_ERR_NOMEM,
    QLM_ERR_INVALID_ARG,  /* a caller passed a bad value */
    QLM_ERR_CONTEXT_FULL, /* evaluation would pass the context window */
    QLM_ERR_INTERNAL
} qlm_status;

typedef struct {
    qlm_status code;
    char message[512];
} qlm_error;

const char *qlm_status_name(qlm_status s);

/* ---- CPU kernels ------------------------------------------------------------------ */

/* Name of the kernel path in use: "avx512", "avxvnni" (AVX2 + AVX-VNNI), "avx2", "neon"
 * or "scalar". The best path the CPU supports is chosen on first use;
 * QLM_ISA=scalar|avx2|avxvnni|avx512|neon in the
 * environment forces one (an unsupported choice falls back, see qlm_isa_set). */
const char *qlm_isa_name(void);
/* What the path adds beyond its name, for logs: "" or e.g. "AMX bf16 tiles for batches
 * of 64+ tokens". */
const char *qlm_isa_detail(void);
/* Force a path by name; QLM_ERR_UNSUPPORTED if this CPU or build lacks it. */
qlm_status qlm_isa_set(const char *name, qlm_error *err);
/* Number of physical cores (best effort; at least 1). */
int qlm_physical_cores(void);

/* ---- GGUF inspection (read-only, memory-mapped) ------------------------------------ */

typedef struct qlm_gguf qlm_gguf;

qlm_status qlm_gguf_open(const char *path, qlm_gguf **out, qlm_error *err);
void qlm_gguf_close(qlm_gguf *g);
uint32_t qlm_gguf_version(const qlm_gguf *g);
uint64_t qlm_gguf_file_size(const qlm_gguf *g);
int64_t qlm_gguf_n_kv(const qlm_gguf *g);
const char *qlm_gguf_key(const qlm_gguf *g, int64_t i); /* NUL-terminated copy */
/* Human-readable value: scalars in full, strings quoted and cut at `cap`, arrays as
 * "[type; n] first, values, ...". Returns buf. */
char *qlm_gguf_value_str(const qlm_gguf *g, int64_t i, char *buf, size_t cap);
int64_t qlm_gguf_n_tensors(const qlm_gguf *g);
typedef struct {
    const char *name;   /* NUL-terminated */
    uint32_t type;      /* ggml type id */
    const char *type_name;
    int n_dims;
    int64_t ne[4];      /* ne[0] = row length */
    uint64_t offset;    /* from the start of the data section */
    uint64_t nbytes;
} qlm_tensor_desc;
void qlm_gguf_tensor(const qlm_gguf *g, int64_t i, qlm_tensor_desc *out);

/* ---- models ------------------------------------------------------------------------- */

typedef struct qlm_model qlm_model;

/* Progress of long work: `done` of `total` steps, `what` names the current one. */
typedef void (*qlm_progress_fn)(void *data, int done, int total, const char *what);

typedef struct {
    bool vocab_only;    /* load only the tokenizer (the file may have no tensors) */
    /* Read the file into memory instead of mapping it (llama.cpp's --no-mmap). The
     * memory is 2 MiB aligned and asks for transparent huge pages, so the weights
     * stream through far fewer TLB entries: token generation 1.0-1.08x in alternating
     * runs on Linux here (bench/RESULTS.md). Costs the read at load time (progress,
     * below, in MiB) and keeps a private copy: RSS is the file size, but two processes
     * no longer share one copy in the page cache. */
    bool no_mmap;
    /* Implies no_mmap. Weight matrices are rearranged in place into qlm's own layouts
     * (no file holds them) where the active kernels have loops for them:
     *  - Q4_K, Q5_K, Q6_K, Q4_0 and Q8_0 matrices whose rows come in whole groups of
     *    16 (Q4_0, Q8_0: of a multiple of 256 values): 16 rows interleaved (Q4_K_R16,
     *    Q5_K_R16, Q6_K_R16, Q4_0_R16, Q8_0_R16; AVX-512, and Q4_K_R16 on AVX-VNNI), one
     *    row per vector lane, so the matrix-vector loop needs no horizontal sums;
     *  - other Q4_0 matrices whose rows are a multiple of 256 values, and all of them
     *    on AVX2 and AVX-VNNI: 8 blocks at a time with their scales in front (Q4_0_G8).
     * The same weights and results (prompts to the bit, generation within float
     * rounding); generation faster: in cache the loops are 1.3-1.4x (Q4_0_G8),
     * 1.7-1.9x (Q4_K_R16, Q6_K_R16 on AVX-512; 1.4x on AVX-VNNI), 1.5x (Q5_K_R16),
     * 1.7x (Q4_0_R16) and 2.1x (Q8_0_R16) the per-row ones, streamed from memory 1.0-1.12x on AVX-512, end
     * to end 1.02-1.08x over the previous layouts (bench/RESULTS.md).
     * RSS stays the file size; loading takes longer (the rearranging, on up to 4
     * threads: ~0.1 s per GB here);
     * the token-embedding table (and an output head tied to it) keeps its rows. */
    bool repack;
    qlm_progress_fn progress;   /* may be NULL */
    void *progress_data;
} qlm_model_params;

qlm_status qlm_model_load(const char *path, const qlm_model_params *params,
                          qlm_model **out, qlm_error *err);
void qlm_model_free(qlm_model *m);

typedef struct {
    const char *arch;       /* "llama", ... */
    const char *name;       /* general.name or "" */
    int n_vocab;
    int n_ctx_train;
    int n_embd;
    int n_layer;
    int n_head;
    int n_head_kv;
    int head_dim;
    int n_ff;
    float rope_theta;
    float norm_eps;
    int64_t n_params;       /* weights in all tensors */
    uint64_t file_size;
    uint64_t weights_bytes; /* bytes of tensor data */
    const char *file_type;  /* dominant weight type, e.g. "Q4_0" */
    int n_repacked;         /* weight matrices regrouped at load (qlm_model_params.repack) */
    const char *tokenizer;  /* "llama" (SentencePiece), "gpt2" (byte BPE), "none" */
    int32_t bos, eos;       /* -1 when absent */
    bool add_bos;
} qlm_model_desc;
void qlm_model_describe(const qlm_model *m, qlm_model_desc *out);
/* Bytes of the model file's image (the mapping, or the memory it was read into) mapped
 * in 2 MiB pages at the time of the call, from /proc/self/smaps; -1 where that cannot be
 * told (not Linux, no smaps). A mapped file's pages are mapped as they are first
 * touched: ask after an evaluation. Generation runs faster the more of it is (see
 * qlm_model_params.no_mmap). */
int64_t qlm_model_huge_page_bytes(const qlm_model *m);

/* ---- tokenizer ---------------------------------------------------------------------- */

enum {
    QLM_TOK_ADD_BOS = 1,       /* prepend BOS (when the vocabulary has one) */
    QLM_TOK_PARSE_SPECIAL = 2  /* "<|im_start|>"-style text becomes its special token */
};
/* Tokenize `len` bytes. Returns the number of tokens the text needs; writes at most
 * `cap` of them (call again with a larger buffer if the result exceeds cap). Returns a
 * negative value (and fills err) when the model has no vocabulary. */
int qlm_tokenize(const qlm_model *m, const char *text, size_t len, unsigned flags,
                 int32_t *out, int cap, qlm_error *err);

/* Raw bytes of one token as they belong in the text (byte tokens give their byte,
 * U+2581 becomes a space). Returns the byte count needed (written up to cap), or -1 for
 * an invalid id. Control tokens (BOS/EOS) give 0 bytes unless `special` is set. */
int qlm_token_bytes(const qlm_model *m, int32_t token, bool special, char *buf, int cap);

/* True for tokens that end a generation: EOS and the end-of-turn tokens a vocabulary
 * marks (EOT, <|im_end|>, <end_of_turn>, ...). */
bool qlm_token_is_eog(const qlm_model *m, int32_t token);

/* Streaming detokenizer: hands out only complete UTF-8 sequences, so a character split
 * across several byte tokens is printed once whole. Drops the space SentencePiece puts
 * in front of the first word. */
typedef struct qlm_detok qlm_detok;
qlm_detok *qlm_detok_new(const qlm_model *m);
void qlm_detok_free(qlm_detok *d);
/* Returns a NUL-terminated string valid until the next call (may be ""). */
const char *qlm_detok_push(qlm_detok *d, int32_t token);
const char *qlm_detok_flush(qlm_detok *d); /* whatever is left (invalid UTF-8 as is) */

/* ---- evaluation --------------------------------------------------------------------- */

typedef struct qlm_context qlm_context;

typedef enum { QLM_KV_F16 = 0, QLM_KV_F32 = 1 } qlm_kv_type;

typedef struct {
    int n_ctx;          /* 0: the model's training context, capped at 4096 */
    int n_threads;      /* 0: physical cores */
    int n_batch;        /* tokens per forward chunk; 0: 512 */
    qlm_kv_type kv_type;
} qlm_context_params;

qlm_context_params qlm_context_default_params(void);
qlm_status qlm_context_new(qlm_model *m, const qlm_context_params *p, qlm_context **out,
                           qlm_error *err);
void qlm_context_free(qlm_context *c);
int qlm_context_n_ctx(const qlm_context *c);
int qlm_context_pos(const qlm_context *c);          /* tokens in the KV cache */
void qlm_context_truncate(qlm_context *c, int pos);  /* forget tokens from pos on */

/* Run tokens[0..n) at positions pos..pos+n as one batch and append them to the KV
 * cache. With all_logits, logits of every token are kept ([n][n_vocab]); otherwise only
 * the last token's. */
qlm_status qlm_eval(qlm_context *c, const int32_t *tokens, int n, bool all_logits,
                    qlm_error *err);
/* Logits row i of the last qlm_eval (i = 0 is the only row without all_logits). */
const float *qlm_logits(const qlm_context *c, int i);

/* ---- sampling ----------------------------------------------------------------------- */

typedef struct qlm_sampler qlm_sampler;

typedef struct {
    float temperature;     /* <= 0: greedy */
    int top_k;             /* <= 0: off */
    float top_p;           /* >= 1: off */
    float min_p;           /* <= 0: off */
    float repeat_penalty;  /* 1: off */
    int repeat_last_n;     /* window of recent tokens the penalty looks at */
    uint64_t seed;
} qlm_sampler_params;

qlm_sampler_params qlm_sampler_default_params(void);
qlm_sampler *qlm_sampler_new(const qlm_sampler_params *p);
void qlm_sampler_free(qlm_sampler *s);
/* Pick the next token from raw logits (not modified). */
int32_t qlm_sampler_sample(qlm_sampler *s, const float *logits, int n_vocab);
/* Record a token in the history the repetition penalty uses (prompt and output). */
void qlm_sampler_accept(qlm_sampler *s, int32_t token);

/* ---- chat templates -------------------------------------------------------------------- */

/* Render a conversation with the model's chat template (tokenizer.chat_template; a
 * built-in chatml / llama2 / llama3 / gemma / phi3 template only when the file has
 * none). messages_json: a JSON array of {"role": ..., "content": ...}. bos_token and
 * eos_token are the vocabulary's. On success *out is malloc'd text (free() it). A
 * template that raises gives QLM_ERR_FORMAT with the template's own message. */
qlm_status qlm_chat_format(const qlm_model *m, const char *messages_json, size_t len,
                           bool add_generation_prompt, char **out, size_t *out_len, qlm_error *err);

/* Render any Jinja chat template (for `qlm template` and tools that check templates). */
typedef struct {
    const char *template_text;  /* NULL: the chat template of the GGUF at gguf_path */
    size_t template_len;
    const char *gguf_path;      /* the model whose template / BOS / EOS texts are used; may be NULL */
    const char *vars_json;      /* a JSON array (the messages) or an object (all variables) */
    size_t vars_len;
    bool add_generation_prompt; /* true: set it; false: the object's value, else false */
    const char *bos_token;      /* NULL: the object's bos_token, else the model's, else "" */
    const char *eos_token;      /* likewise */
    const struct tm *now;       /* what strftime_now formats; NULL: local time */
} qlm_template_params;

/* On success *out is malloc'd text. A template that raises or fails gives
 * QLM_ERR_FORMAT and a message "Type: text" (with the template line when known), e.g.
 * "TemplateError: System role not supported". Unreadable or malformed inputs give the
 * reader's error. */
qlm_status qlm_template_render(const qlm_template_params *p, char **out, size_t *out_len,
                               qlm_error *err);

/* ---- conversion ---------------------------------------------------------------------- */

typedef struct {
    const char *out_type;       /* "f32", "f16" (default), "bf16", "q8_0", "q4_0", ... */
    int n_threads;              /* 0: physical cores */
    qlm_progress_fn progress;   /* may be NULL */
    void *progress_data;
    bool vocab_only;            /* write only the tokenizer (no tensors; see below) */
} qlm_convert_params;

/* Convert a Hugging Face checkpoint folder (config.json + model.safetensors or shards)
 * to a GGUF file llama.cpp can also read. Streams tensor by tensor; writes a temp file
 * and renames it when complete; never touches the input.
 * The vocabulary (tokenizer.ggml.*, as llama.cpp's converter writes it) comes from the
 * folder's tokenizer.json (byte-level BPE, or SentencePiece-style BPE such as Gemma's),
 * or else its tokenizer.model (a SentencePiece BPE model), with tokenizer_config.json's
 * special tokens and chat template; a folder without them converts without a
 * vocabulary. With vocab_only, only the folder's tokenizer files (and config.json, when
 * present, for the architecture name and vocab_size) are read, and the file holds the
 * vocabulary and no tensors: qlm_model_load loads it with vocab_only. */
qlm_status qlm_convert_hf(const char *hf_dir, const char *out_gguf, const qlm_convert_params *p,
                          qlm_error *err);

/* ---- quantization ------------------------------------------------------------------- */

/* Progress of qlm_quantize_file, reported after each piece of a tensor. Tensors are
 * written in llama.cpp's order (by layer, then by name), which `tensor` counts. */
typedef struct {
    int64_t tensor, n_tensors;  /* index of the tensor being written, tensor count */
    const char *name;
    const char *type_in, *type_out;
    bool tensor_done;           /* this call ends the tensor */
    uint64_t bytes_in_done, bytes_in_total;  /* input tensor data handled / in all */
    uint64_t bytes_out_done;    /* output tensor data written so far */
} qlm_quantize_progress;

typedef struct {
    /* Target, as llama.cpp's llama-quantize names it (case-insensitive): F32, F16,
     * BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q6_K, and the K mixes Q4_K_S, Q4_K_M, Q5_K_S,
     * Q5_K_M (Q4_K and Q5_K are llama.cpp's aliases of Q4_K_M and Q5_K_M). */
    const char *type;
    int n_threads;          /* 0: physical cores */
    bool pure;              /* no per-tensor mix rules: every quantized tensor gets the
                               base type (or a fallback where rows do not fit its blocks) */
    const char *output_type;  /* NULL, or a tensor type name for output.weight */
    const char *embd_type;    /* NULL, or a tensor type name for token_embd.weight */
    bool allow_requantize;  /* convert already-quantized tensors (loses accuracy) */
    void (*progress)(const qlm_quantize_progress *p, void *user); /* NULL: none */
    void *progress_user;
} qlm_quantize_params;

qlm_quantize_params qlm_quantize_default_params(void); /* type "Q4_K_M" */
/* The accepted `type` names, comma-separated, for usage texts. */
const char *qlm_quantize_type_names(void);

/* Read the GGUF at `in` (never modified) and write `out` with its weight matrices
 * converted to p->type, following llama.cpp's per-tensor rules: 1-D tensors and norms
 * stay as they are; output.weight (token_embd.weight when there is no output) goes to
 * Q6_K in the quantized types; attn_v / ffn_down of some layers get more bits in the
 * _M mixes; a row length that the chosen type's blocks do not divide falls back
 * (Q4_K -> Q5_0, Q5_K -> Q5_1, Q6_K -> Q8_0, then F16). All metadata is copied;
 * general.file_type and general.quantization_version are set as llama.cpp sets them.
 * The output is written to a temporary file next to `out` and renamed when complete.
 * Errors: QLM_ERR_INVALID_ARG (bad type name, out is the input file),
 * QLM_ERR_UNSUPPORTED (a tensor type qlm cannot convert, or an already-quantized
 * tensor without allow_requantize), QLM_ERR_FORMAT / QLM_ERR_IO / QLM_ERR_NOMEM. */
qlm_status qlm_quantize_file(const char *in, const char *out, const qlm_quantize_params *p,
                             qlm_error *err);

/* ==== benchmarking: synthetic models, bandwidth, traffic (qlm synth, qlm bench) ======= */

/* Bytes of weight data that generating one token reads: every tensor in full, except the
 * token (and learned position) embedding tables, of which one row is read per token. A
 * tied embedding that also serves as the output head is read in full. This is the
 * numerator of the tg roofline: tokens/s <= read bandwidth / this. */
uint64_t qlm_model_weight_bytes_per_token(const qlm_model *m);

/* Read bandwidth of this machine: n_threads threads each sum their share of a buffer of
 * `bytes` (allocated and first touched by the same threads, so pages sit near them),
 * `reps` times, with a SIMD kernel (AVX-512 / AVX2 when the CPU has it). 1 GB = 1e9 bytes.
 * `bytes` should be several times the last-level cache or the figure is the cache's. */
typedef struct {
    double best_gbps, median_gbps, worst_gbps;
    size_t bytes;
    int n_threads, reps;
    const char *kernel;     /* "avx512", "avx2", "scalar" */
} qlm_bandwidth;
qlm_status qlm_measure_read_bandwidth(int n_threads, size_t bytes, int reps, qlm_bandwidth *out,
                                      qlm_error *err);

/* A random-weight GGUF with the shape, metadata and tokenizer of a real model, for
 * benchmarks anyone can reproduce without downloads. The vocabulary is SentencePiece-
 * style ("llama": <unk>, <s>, </s>, the 256 byte tokens, then filler pieces) so that
 * llama.cpp loads the file as well. Weights are N(0, 0.02) rows, quantized with the
 * reference quantizers; norms are 1. */
typedef struct {
    const char *arch;       /* "llama" or "qwen2" */
    const char *name;       /* general.name; NULL: "synth" (named shapes: "synth-" + shape) */
    int n_embd, n_layer, n_head, n_head_kv, n_ff, n_vocab, n_ctx;
    float rope_theta, norm_eps;
    bool qkv_bias;          /* Q/K/V biases (qwen2) */
    bool tied_embd;         /* no output.weight: the token embedding is the head */
    /* Weight type or mix, as llama-quantize names it: F32, F16, BF16, Q8_0, Q4_0, Q4_1,
     * Q5_0, Q5_1, Q4_K, Q5_K, Q6_K, Q4_K_S, Q4_K_M, Q5_K_S, Q5_K_M (Q4_K / Q5_K: every
     * matrix but the head in that type; general.file_type says Q4_K_S / Q5_K_S).
     * As llama-quantize does, a quantized type puts the output head in Q6_K (Q8_0 stays
     * Q8_0), the _M mixes give some attn_v / ffn_down layers Q6_K and Q4_K_S some Q5_K;
     * a row that the type's blocks do not divide falls back (Q4_K->Q5_0, Q5_K->Q5_1,
     * Q6_K->Q8_0, then F16). 1-D tensors are F32. (These are llama-quantize's main rules;
     * Q4_K and Q5_K here are single types, not its aliases of the _M mixes.) */
    const char *type;
    bool pure;              /* every matrix in the base type (fallbacks still apply) */
    uint64_t seed;
    int n_threads;          /* 0: physical cores */
    qlm_progress_fn progress;
    void *progress_data;
} qlm_synth_params;

/* Fill *p with a named shape and defaults (type F16, seed 1): tinyllama-1.1b, llama2-7b,
 * llama3-8b, qwen2.5-0.5b, stories260k. QLM_ERR_INVALID_ARG for an unknown name. */
qlm_status qlm_synth_shape(const char *shape, qlm_synth_params *p, qlm_error *err);
const char *qlm_synth_shape_names(void);   /* comma-separated, for usage texts */
const char *qlm_synth_type_names(void);

/* One tensor of the file qlm_synth would write, in file order. */
typedef struct {
    char name[64];
    uint32_t type;          /* ggml type id */
    int n_dims;
    int64_t ne[2];          /* ne[0] = row length */
    uint64_t nbytes;
} qlm_synth_tensor;

/* The tensor list for p without writing anything: returns the count (writing at most
 * cap entries to out, which may be NULL), or -1 with err filled for invalid params. */
int qlm_synth_plan(const qlm_synth_params *p, qlm_synth_tensor *out, int cap, qlm_error *err);

/* Write the file (temp file + rename). Progress is reported per tensor. */
qlm_status qlm_synth(const qlm_synth_params *p, const char *path, qlm_error *err);

/* ==== end of benchmarking section ===================================================== */

#ifdef __cplusplus
}
#endif
#endif
