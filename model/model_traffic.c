/* Weight bytes read per generated token, for the tg roofline (qlm.h). */
#include "model.h"

/* An embedding table is only indexed: one row per token. When the output head is the
 * same tensor (tied embeddings), the logits matmul reads all of it anyway. */
static uint64_t indexed_savings(const qlm_tensor *table, const qlm_tensor *head) {
    if (!table->data || table->data == head->data) return 0;
    uint64_t all = (uint64_t)table->row_size * (uint64_t)table->ne[1];
    return all - table->row_size;
}

uint64_t qlm_model_weight_bytes_per_token(const qlm_model *m) {
    if (!m || m->vocab_only) return 0;
    uint64_t b = m->weights_bytes;
    b -= indexed_savings(&m->tok_embd, &m->output);
    b -= indexed_savings(&m->pos_embd, &m->output);
    return b;
}
