/* mfm.h — the model file (.mfm), byte by byte.
 *
 * All integers and floats little-endian, IEEE-754; offsets from file start.
 *
 *   Fixed header, 256 bytes:
 *     0  char[4] magic "MFRM"
 *     4  u32  format version (MFM_VERSION, 1)
 *     8  u32  header bytes (256)
 *    12  u32  n_sections (<= MFM_MAX_SECTIONS)
 *    16  u32  algo (mfr_algo)
 *    20  i32  n_users          24 i32 n_items        28 i32 k (factors, 0 = none)
 *    32  i64  n_train (ratings trained on)
 *    40  f32  mu               44 f32 rating_min     48 f32 rating_max
 *    52  i32  epochs_run
 *    56  f64  train_rmse       64 f64 valid_rmse     72 f64 fit_seconds
 *    80  i64  strings_len (bytes of the catalogue pool, incl. final NUL)
 *    88  u64  file_size (bytes of the whole file)
 *    96  u64  data_offset (first section; align64(256 + 24 * n_sections))
 *   104  u32  payload CRC-32 over bytes [data_offset, file_size)
 *   108  u32  header CRC-32 over bytes [0, 256) with this field as 0, then
 *             over the section directory
 *   112  i32 item_scale (timesvdpp's c_u(t); 0 in older files: off)
 *   116  i32 dense (autorec's dense layers; 0 in older files: sparse)
 *   120  training parameters, each field explicitly (callbacks not stored):
 *        120 u32 algo   124 i32 factors  128 i32 epochs   132 f32 lr
 *        136 f32 lr_decay  140 f32 reg   144 f32 reg_bias 148 f32 init_std
 *        152 u64 seed   160 i32 threads  164 f32 valid_frac 168 i32 early_stop
 *        172 i32 batch  176 f32 beta1    180 f32 beta2    184 f32 alpha
 *        188 i32 cg_steps 192 i32 burnin 196 i32 samples  200 i32 knn_k
 *        204 i32 min_support 208 f32 shrinkage 212 u32 sim 216 u32 hybrid_base
 *        220 f32 ease_lambda 224 i32 max_memory_mb 228 i32 rank_min_ratings
 *        232 f32 rating_power 236 f32 blend 240 f32 unobserved 244 f32 reg_exp
 *        (files from before these fields hold zeros there: read as the
 *        classic behaviour, rank_min_ratings 1)
 *        248 i32 ease_keep
 *   252 i32 features (bfm's groups, MFR_FEAT_*; 0 in older files: all)
 *
 *   Section directory at 256: n_sections entries of 24 bytes:
 *     u32 tag (four characters, MFR_TAG), u32 flags (0), u64 offset, u64 size
 *
 *   Sections: each starts at a multiple of 64 (so float arrays can be used
 *   in place from the loaded block); gaps are zero bytes. Core tags and sizes:
 *     UBIA f32[n_users]  user biases      IBIA f32[n_items]  item biases
 *     P    f32[n_users*k]                 Q    f32[n_items*k] (only when k > 0)
 *     UIDS i64[n_users]  external ids     IIDS i64[n_items]
 *     STRS char[strings_len] pool         TOFF u32[n_items]  GOFF u32[n_items]
 *     YEAR i16[n_items]                   ICNT i32[n_items]  IMEA f32[n_items]
 *     SPTR i64[n_users+1] seen CSR        SITM i32[SPTR[n_users]] (sorted rows)
 *   UBIA/IBIA are required for every family but EASE (which stores none);
 *   P/Q when k > 0; every other core section is required. Any other tag is
 *   a family's extra section, stored and restored as opaque bytes (at most
 *   MFR_MODEL_MAX_EXTRA); the family's attach checks its own.
 *
 * The loader reads the whole file into one owned block (src/core/binfile.c;
 * not a mapping: the file truncated or rewritten in place while a server
 * holds the model changes nothing), then checks, in order: length >= 256,
 * magic, version, directory within the file, header CRC, each section's
 * alignment and bounds, file size, payload CRC, section sizes against the
 * counts, then the contents that index other arrays (seen CSR: pointers
 * monotone and overflow-safe against SITM, each row sorted without repeats
 * and in range; string offsets inside the pool), every user and movie id
 * once, and the family's sections (vt->attach), so no later query can read
 * out of bounds. Errors name the file and the section, never its bytes. */
#ifndef MFR_MFM_H
#define MFR_MFM_H

#include "model_impl.h"

#define MFM_MAGIC "MFRM"
#define MFM_VERSION 1u
#define MFM_HEADER_BYTES 256u
#define MFM_DIR_ENTRY 24u
#define MFM_MAX_SECTIONS 64u
#define MFM_ALIGN 64u

enum {
    MFM_OFF_MAGIC = 0, MFM_OFF_VERSION = 4, MFM_OFF_HEADER_BYTES = 8, MFM_OFF_NSECT = 12,
    MFM_OFF_ALGO = 16, MFM_OFF_NUSERS = 20, MFM_OFF_NITEMS = 24, MFM_OFF_K = 28,
    MFM_OFF_NTRAIN = 32, MFM_OFF_MU = 40, MFM_OFF_RMIN = 44, MFM_OFF_RMAX = 48,
    MFM_OFF_EPOCHS = 52, MFM_OFF_TRAIN_RMSE = 56, MFM_OFF_VALID_RMSE = 64,
    MFM_OFF_FIT_SECONDS = 72, MFM_OFF_STRLEN = 80, MFM_OFF_FILE_SIZE = 88,
    MFM_OFF_DATA = 96, MFM_OFF_PAYLOAD_CRC = 104, MFM_OFF_HEADER_CRC = 108,
    MFM_OFF_PARAMS = 120
};

#endif
