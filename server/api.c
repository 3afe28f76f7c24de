/* The OpenAI-compatible endpoints: /v1/chat/completions, /v1/completions, /v1/models,
 * /health. Every field a client sends is type-checked; a bad request gets a 400 with an
 * OpenAI-style error object and the connection carries on. */
#include "server.h"
#include "http.h"
#include "../model/json.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_STOPS 4

bool api_error(int fd, int status, const char *type, const char *message, bool keep_alive) {
    qlm_buf b = {0};
    qlm_buf_puts(&b, "{\"error\":{\"message\":");
    qlm_json_put_str(&b, message, strlen(message), false);
    qlm_buf_printf(&b, ",\"type\":\"%s\",\"code\":%d}}", type, status);
    bool ok = qlm_buf_ok(&b) && http_respond(fd, status, "application/json", b.p, b.len, keep_alive);
    qlm_buf_free(&b);
    return ok;
}

static bool respond_buf(int fd, qlm_buf *b, bool keep_alive) {
    if (!qlm_buf_ok(b)) return api_error(fd, 500, "server_error", "out of memory", false);
    return http_respond(fd, 200, "application/json", b->p, b->len, keep_alive);
}

/* Constant-time comparison of the Authorization header with "Bearer KEY". */
static bool authorized(const char *key, const char *header) {
    char want[1100];
    snprintf(want, sizeof want, "Bearer %s", key);
    size_t a = strlen(want), b = strlen(header);
    unsigned diff = (unsigned)(a ^ b);
    for (size_t i = 0; i < a; i++) diff |= (unsigned char)want[i] ^ (unsigned char)(i < b ? header[i] : 0);
    return diff == 0;
}

/* ---- request parameters -------------------------------------------------------------- */

typedef struct {
    qlm_sampler_params sp;
    long long max_tokens;        /* < 0: until the context is full */
    char *stops[MAX_STOPS];
    size_t stop_len[MAX_STOPS];
    int n_stop;
    bool stream;
} gen_params;

static void free_params(gen_params *g) {
    for (int i = 0; i < g->n_stop; i++) free(g->stops[i]);
}

/* Returns NULL or the error message (static text or written into msg). */
static const char *parse_params(const qlm_json *root, gen_params *g, char *msg, size_t cap) {
    memset(g, 0, sizeof *g);
    /* same defaults as `qlm run`, so a request and the command line give the same text */
    g->sp = qlm_sampler_default_params();
    g->max_tokens = -1;
    static atomic_ulong seed_counter;
    g->sp.seed = (uint64_t)time(NULL) * 6364136223846793005ull + atomic_fetch_add(&seed_counter, 1) * 1442695040888963407ull;
    const qlm_json *v;
    double d;
    int64_t i;
    bool b;
    if ((v = qlm_json_get(root, "temperature")) && v->type != QLM_JSON_NULL) {
        if (!qlm_json_num(v, &d) || d < 0 || d > 2) return "'temperature' must be a number from 0 to 2";
        g->sp.temperature = (float)d;
    }
    if ((v = qlm_json_get(root, "top_p")) && v->type != QLM_JSON_NULL) {
        if (!qlm_json_num(v, &d) || d < 0 || d > 1) return "'top_p' must be a number from 0 to 1";
        g->sp.top_p = (float)d;
    }
    if ((v = qlm_json_get(root, "min_p")) && v->type != QLM_JSON_NULL) {
        if (!qlm_json_num(v, &d) || d < 0 || d > 1) return "'min_p' must be a number from 0 to 1";
        g->sp.min_p = (float)d;
    }
    if ((v = qlm_json_get(root, "top_k")) && v->type != QLM_JSON_NULL) {
        if (!qlm_json_i64(v, &i) || i < 0 || i > 1 << 24) return "'top_k' must be a non-negative integer";
        g->sp.top_k = (int)i;
    }
    if ((v = qlm_json_get(root, "repeat_penalty")) && v->type != QLM_JSON_NULL) {
        if (!qlm_json_num(v, &d) || d <= 0 || d > 100) return "'repeat_penalty' must be a positive number";
        g->sp.repeat_penalty = (float)d;
    }
    const char *mt = qlm_json_get(root, "max_completion_tokens") ? "max_completion_tokens" : "max_tokens";
    if ((v = qlm_json_get(root, mt)) && v->type != QLM_JSON_NULL) {
        if (!qlm_json_i64(v, &i) || i < 0 || i > 1 << 24) {
            snprintf(msg, cap, "'%s' must be a non-negative integer", mt);
            return msg;
        }
        g->max_tokens = i;
    }
    if ((v = qlm_json_get(root, "seed")) && v->type != QLM_JSON_NULL) {
        if (!qlm_json_i64(v, &i)) return "'seed' must be an integer";
        g->sp.seed = (uint64_t)i;
    }
    if ((v = qlm_json_get(root, "n")) && v->type != QLM_JSON_NULL) {
        if (!qlm_json_i64(v, &i) || i != 1) return "only 'n' = 1 is supported";
    }
    if ((v = qlm_json_get(root, "stream")) && v->type != QLM_JSON_NULL) {
        if (!qlm_json_bool(v, &b)) return "'stream' must be a boolean";
        g->stream = b;
    }
    if ((v = qlm_json_get(root, "stop")) && v->type != QLM_JSON_NULL) {
        if (v->type == QLM_JSON_STRING) {
            if (v->len) { g->stops[0] = strndup(v->str, v->len); g->stop_len[0] = v->len; g->n_stop = g->stops[0] != NULL; }
        } else if (v->type == QLM_JSON_ARRAY) {
            if (qlm_json_len(v) > MAX_STOPS) return "'stop' may hold at most 4 strings";
            for (size_t k = 0; k < qlm_json_len(v); k++) {
                const qlm_json *e = qlm_json_at(v, k);
                if (!e || e->type != QLM_JSON_STRING) return "'stop' must be a string or an array of strings";
                if (!e->len) continue;
                g->stops[g->n_stop] = strndup(e->str, e->len);
                if (!g->stops[g->n_stop]) return "out of memory";
                g->stop_len[g->n_stop++] = e->len;
            }
        } else {
            return "'stop' must be a string or an array of strings";
        }
    }
    return NULL;
}

/* ---- generation ----------------------------------------------------------------------- */

typedef struct {
    server *s;
    int fd;
    bool chat;
    char id[48];
    long long created;
    bool keep_alive;
} reply_ctx;

static void put_common(qlm_buf *b, const reply_ctx *r, const char *object) {
    qlm_buf_printf(b, "{\"id\":\"%s\",\"object\":\"%s\",\"created\":%lld,\"model\":", r->id, object, r->created);
    qlm_json_put_str(b, r->s->model_id, strlen(r->s->model_id), false);
}

/* One streamed chunk: a text delta, or the final chunk with a finish reason. */
static bool send_chunk(const reply_ctx *r, const char *text, size_t len, const char *finish, bool first) {
    qlm_buf b = {0};
    put_common(&b, r, r->chat ? "chat.completion.chunk" : "text_completion");
    qlm_buf_puts(&b, ",\"choices\":[{\"index\":0,");
    if (r->chat) {
        qlm_buf_puts(&b, "\"delta\":{");
        if (first) qlm_buf_puts(&b, "\"role\":\"assistant\",");
        if (!finish) { qlm_buf_puts(&b, "\"content\":"); qlm_json_put_str(&b, text, len, false); }
        else if (first) b.len--, qlm_buf_putc(&b, ' '); /* drop the trailing comma */
        qlm_buf_puts(&b, "},");
    } else {
        qlm_buf_puts(&b, "\"text\":");
        qlm_json_put_str(&b, text, len, false);
        qlm_buf_puts(&b, ",\"logprobs\":null,");
    }
    if (finish) qlm_buf_printf(&b, "\"finish_reason\":\"%s\"}]}", finish);
    else qlm_buf_puts(&b, "\"finish_reason\":null}]}");
    bool ok = qlm_buf_ok(&b) && http_send_sse(r->fd, b.p, b.len);
    qlm_buf_free(&b);
    return ok;
}

/* Length of the longest suffix of text that is a proper prefix of a stop string: that
 * much must be held back until the next token shows whether a stop string follows. */
static size_t stop_holdback(const char *text, size_t len, const gen_params *g) {
    size_t hold = 0;
    for (int k = 0; k < g->n_stop; k++)
        for (size_t n = g->stop_len[k] - 1; n > hold; n--)
            if (n <= len && !memcmp(text + len - n, g->stops[k], n)) { hold = n; break; }
    return hold;
}

/* Earliest occurrence of any stop string at or after `from`; len when none. */
static size_t find_stop(const char *text, size_t len, size_t from, const gen_params *g) {
    size_t best = len;
    for (int k = 0; k < g->n_stop; k++) {
        size_t sl = g->stop_len[k];
        for (size_t p = from; p + sl <= len && p < best; p++)
            if (!memcmp(text + p, g->stops[k], sl)) { best = p; break; }
    }
    return best;
}

/* Run prompt + generation on a slot and answer. Returns false when the connection must
 * close (client gone, streaming done). */
static bool generate(reply_ctx *r, const int32_t *prompt, int n_prompt, gen_params *g) {
    server *s = r->s;
    server_slot *slot = server_acquire_slot(s);
    qlm_context *ctx = slot->ctx;
    int n_ctx = qlm_context_n_ctx(ctx);
    bool ok = true;
    qlm_sampler *smp = NULL;
    qlm_detok *dt = NULL;
    qlm_buf out = {0};
    if (n_prompt >= n_ctx) {
        server_release_slot(s, slot);
        char msg[160];
        snprintf(msg, sizeof msg, "the prompt is %d tokens; the context of a slot holds %d", n_prompt, n_ctx);
        return api_error(r->fd, 400, "invalid_request_error", msg, r->keep_alive);
    }
    /* reuse the cached prefix this slot already holds (a chat resends its history) */
    int common = 0;
    while (common < slot->n_tokens && common < n_prompt && slot->tokens[common] == prompt[common]) common++;
    if (common == n_prompt) common--; /* the last prompt token must run to give logits */
    qlm_context_truncate(ctx, common);
    slot->n_tokens = common;
    qlm_error err = {0};
    if (qlm_eval(ctx, prompt + common, n_prompt - common, false, &err) != QLM_OK) {
        server_release_slot(s, slot);
        return api_error(r->fd, 500, "server_error", err.message, false);
    }
    memcpy(slot->tokens + common, prompt + common, (size_t)(n_prompt - common) * sizeof *prompt);
    slot->n_tokens = n_prompt;

    smp = qlm_sampler_new(&g->sp);
    dt = qlm_detok_new(s->model);
    if (!smp || !dt) { ok = api_error(r->fd, 500, "server_error", "out of memory", false); goto done; }
    /* the prompt goes through the detokenizer too, so the first generated piece keeps
     * its leading space exactly as `qlm run` prints it */
    for (int i = 0; i < n_prompt; i++) {
        qlm_sampler_accept(smp, prompt[i]);
        qlm_detok_push(dt, prompt[i]);
    }
    if (g->stream && !http_begin_sse(r->fd)) { ok = false; goto done; }
    if (g->stream && r->chat && !send_chunk(r, "", 0, NULL, true)) { ok = false; goto done; }
    const char *finish = "length";
    size_t sent = 0;       /* bytes of `out` already streamed */
    size_t checked = 0;    /* stop strings searched up to here */
    int n_gen = 0;
    bool aborted = false;
    for (;;) {
        if (g->max_tokens >= 0 && n_gen >= g->max_tokens) break;
        if (qlm_context_pos(ctx) >= n_ctx) break;
        if (atomic_load(&s->stopping) || (!g->stream && http_peer_closed(r->fd))) { aborted = true; break; }
        int32_t tok = qlm_sampler_sample(smp, qlm_logits(ctx, 0), s->desc.n_vocab);
        n_gen++;
        if (tok < 0) { aborted = true; break; }
        if (qlm_token_is_eog(s->model, tok)) { finish = "stop"; break; }
        qlm_sampler_accept(smp, tok);
        qlm_buf_puts(&out, qlm_detok_push(dt, tok));
        if (!qlm_buf_ok(&out)) { aborted = true; break; }
        size_t from = checked > 0 ? checked : 0;
        size_t at = find_stop(out.p, out.len, from, g);
        if (at < out.len) { out.len = at; finish = "stop"; break; }
        size_t hold = stop_holdback(out.p, out.len, g);
        checked = out.len - hold;
        if (g->stream && checked > sent) {
            if (!send_chunk(r, out.p + sent, checked - sent, NULL, false)) { aborted = true; break; }
            sent = checked;
        }
        if (qlm_eval(ctx, &tok, 1, false, &err) != QLM_OK) { aborted = true; break; }
        slot->tokens[slot->n_tokens++] = tok;
    }
    if (!aborted && strcmp(finish, "stop") != 0) qlm_buf_puts(&out, qlm_detok_flush(dt));
    if (aborted) { ok = false; goto done; }
    if (g->stream) {
        if (out.len > sent) ok = send_chunk(r, out.p + sent, out.len - sent, NULL, false);
        ok = ok && send_chunk(r, "", 0, finish, false) && http_send_sse(r->fd, "[DONE]", 6);
        ok = false; /* an event stream ends with the connection */
        goto done;
    }
    qlm_buf b = {0};
    put_common(&b, r, r->chat ? "chat.completion" : "text_completion");
    qlm_buf_puts(&b, ",\"choices\":[{\"index\":0,");
    if (r->chat) {
        qlm_buf_puts(&b, "\"message\":{\"role\":\"assistant\",\"content\":");
        qlm_json_put_str(&b, out.p ? out.p : "", out.len, false);
        qlm_buf_puts(&b, "},");
    } else {
        qlm_buf_puts(&b, "\"text\":");
        qlm_json_put_str(&b, out.p ? out.p : "", out.len, false);
        qlm_buf_puts(&b, ",\"logprobs\":null,");
    }
    qlm_buf_printf(&b, "\"finish_reason\":\"%s\"}],\"usage\":{\"prompt_tokens\":%d,\"completion_tokens\":%d,\"total_tokens\":%d}}",
                   finish, n_prompt, n_gen, n_prompt + n_gen);
    ok = respond_buf(r->fd, &b, r->keep_alive);
    qlm_buf_free(&b);
done:
    qlm_buf_free(&out);
    qlm_detok_free(dt);
    qlm_sampler_free(smp);
    server_release_slot(s, slot);
    return ok;
}

/* Tokenize text into a fresh array; NULL and a message on failure. */
static int32_t *tokenize(server *s, const char *text, size_t len, unsigned flags, int *n, qlm_error *err) {
    int cap = 256;
    int32_t *t = NULL;
    for (;;) {
        int32_t *nt = realloc(t, (size_t)cap * sizeof *t);
        if (!nt) { free(t); return NULL; }
        t = nt;
        *n = qlm_tokenize(s->model, text, len, flags, t, cap, err);
        if (*n < 0) { free(t); return NULL; }
        if (*n <= cap) return t;
        cap = *n;
    }
}

static void make_id(reply_ctx *r, const char *prefix) {
    static atomic_ulong counter;
    unsigned long c = atomic_fetch_add(&counter, 1);
    r->created = (long long)time(NULL);
    snprintf(r->id, sizeof r->id, "%s%llx%04lx", prefix, (unsigned long long)r->created, c & 0xffff);
}

static bool handle_completion(server *s, int fd, const char *body, size_t len, bool chat, bool keep_alive) {
    qlm_json_doc *doc = NULL;
    qlm_error err = {0};
    qlm_json_opts jo = {.max_bytes = s->cfg.max_body};
    if (!body || qlm_json_parse(body, len, &jo, &doc, &err) != QLM_OK)
        return api_error(fd, 400, "invalid_request_error", body ? err.message : "the request needs a JSON body", keep_alive);
    const qlm_json *root = qlm_json_root(doc);
    gen_params g;
    char msg[200];
    const char *bad = NULL;
    char *text = NULL;
    size_t text_len = 0;
    int32_t *toks = NULL;
    int n = 0;
    bool ok;
    if (root->type != QLM_JSON_OBJECT) { bad = "the request body must be a JSON object"; memset(&g, 0, sizeof g); }
    else bad = parse_params(root, &g, msg, sizeof msg);
    if (!bad && chat) {
        const qlm_json *m = qlm_json_get(root, "messages");
        if (!m || m->type != QLM_JSON_ARRAY || qlm_json_len(m) == 0) bad = "'messages' must be a non-empty array";
        for (size_t i = 0; !bad && i < qlm_json_len(m); i++) {
            const qlm_json *e = qlm_json_at(m, i), *c = qlm_json_get(e, "content");
            if (!e || e->type != QLM_JSON_OBJECT || !qlm_json_str(qlm_json_get(e, "role")))
                bad = "each message needs a string 'role'";
            else if (c && c->type != QLM_JSON_STRING && c->type != QLM_JSON_NULL && c->type != QLM_JSON_ARRAY)
                bad = "a message 'content' must be a string, null or an array of parts";
        }
        if (!bad) {
            qlm_buf mj = {0};
            qlm_json_write_opts wo = {.indent = -1, .ensure_ascii = false, .compact = true};
            qlm_json_write(&mj, m, &wo);
            if (!qlm_buf_ok(&mj) || qlm_chat_format(s->model, mj.p, mj.len, true, &text, &text_len, &err) != QLM_OK)
                bad = qlm_buf_ok(&mj) ? err.message : "out of memory";
            qlm_buf_free(&mj);
        }
    } else if (!bad) {
        const qlm_json *p = qlm_json_get(root, "prompt");
        if (p && p->type == QLM_JSON_ARRAY && qlm_json_len(p) == 1) p = qlm_json_at(p, 0);
        if (!p || p->type != QLM_JSON_STRING) bad = "'prompt' must be a string";
        else { text = strndup(p->str, p->len); text_len = p->len; if (!text) bad = "out of memory"; }
    }
    if (!bad) {
        /* chat: the template writes the special tokens as text (BOS included when the
         * model wants it); completions tokenize like `qlm run` */
        unsigned flags = chat ? QLM_TOK_PARSE_SPECIAL : QLM_TOK_ADD_BOS;
        toks = tokenize(s, text, text_len, flags, &n, &err);
        if (!toks) bad = err.message[0] ? err.message : "out of memory";
        else if (n == 0 && s->desc.bos < 0) bad = "the prompt is empty";
        else if (chat && s->desc.add_bos && s->desc.bos >= 0 && (n == 0 || toks[0] != s->desc.bos)) {
            int32_t *t2 = realloc(toks, (size_t)(n + 1) * sizeof *toks);
            if (!t2) bad = "out of memory";
            else { toks = t2; memmove(toks + 1, toks, (size_t)n * sizeof *toks); toks[0] = s->desc.bos; n++; }
        } else if (n == 0) {
            toks[n++] = s->desc.bos;
        }
    }
    if (bad) {
        ok = api_error(fd, 400, "invalid_request_error", bad, keep_alive);
    } else {
        reply_ctx r = {.s = s, .fd = fd, .chat = chat, .keep_alive = keep_alive};
        make_id(&r, chat ? "chatcmpl-" : "cmpl-");
        ok = generate(&r, toks, n, &g);
    }
    free(toks);
    free(text);
    free_params(&g);
    qlm_json_free(doc);
    return ok;
}

bool api_handle(server *s, int fd, const http_request *req) {
    const char *method = req->method, *path = req->path, *body = req->body;
    size_t body_len = req->body_len;
    bool keep_alive = req->keep_alive;
    if (s->cfg.api_key && !authorized(s->cfg.api_key, req->authorization))
        return api_error(fd, 401, "invalid_request_error", "a valid API key is required (Authorization: Bearer KEY)", keep_alive);
    bool post = !strcmp(method, "POST"), get = !strcmp(method, "GET");
    if (!strcmp(path, "/health")) {
        if (!get) return api_error(fd, 405, "invalid_request_error", "use GET", keep_alive);
        static const char ok_body[] = "{\"status\":\"ok\"}";
        return http_respond(fd, 200, "application/json", ok_body, sizeof ok_body - 1, keep_alive);
    }
    if (!strcmp(path, "/v1/models")) {
        if (!get) return api_error(fd, 405, "invalid_request_error", "use GET", keep_alive);
        qlm_buf b = {0};
        qlm_buf_puts(&b, "{\"object\":\"list\",\"data\":[{\"id\":");
        qlm_json_put_str(&b, s->model_id, strlen(s->model_id), false);
        qlm_buf_printf(&b, ",\"object\":\"model\",\"created\":%lld,\"owned_by\":\"qlm\"}]}", (long long)time(NULL));
        bool ok = respond_buf(fd, &b, keep_alive);
        qlm_buf_free(&b);
        return ok;
    }
    bool chat = !strcmp(path, "/v1/chat/completions") || !strcmp(path, "/chat/completions");
    bool comp = !strcmp(path, "/v1/completions") || !strcmp(path, "/completions");
    if (chat || comp) {
        if (!post) return api_error(fd, 405, "invalid_request_error", "use POST", keep_alive);
        return handle_completion(s, fd, body, body_len, chat, keep_alive);
    }
    return api_error(fd, 404, "invalid_request_error", "unknown endpoint", keep_alive);
}
