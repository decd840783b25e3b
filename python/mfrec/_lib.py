"""Loading libmfrec.so and declaring its C API for ctypes.

The structures mirror include/mfrec/*.h field for field. Structures the
library fills through a pointer carry a reserve at the end, so a field added
to the C struct later cannot write past the Python buffer (and is carried
along untouched). tests/python/test_layout.py checks the mirror against the
library's own text form of the parameters.

ctypes.CDLL releases the GIL for the duration of every call, so training,
evaluation and batch recommendation run while other Python threads go on.

Where the library is found, first hit wins:
  1. $MFREC_LIB: the path of libmfrec.so (or of a folder holding it);
  2. next to this file (a copy bundled into the package);
  3. the system's loader: libmfrec.so.0 from `make install`
     (/usr/local/lib, or wherever LD_LIBRARY_PATH points);
  4. a source checkout: ../../build*/libmfrec.so relative to this file.
"""

import ctypes
import ctypes.util
import glob
import os

from ctypes import (POINTER, Structure, c_char, c_char_p, c_double, c_float,
                    c_int, c_int32, c_int64, c_uint32, c_uint64, c_uint8,
                    c_void_p)

SONAME = "libmfrec.so.0"
ABI_MAJOR = 0

i32p = POINTER(c_int32)
i64p = POINTER(c_int64)
f32p = POINTER(c_float)


class Error(Structure):
    _fields_ = [("code", c_int), ("message", c_char * 512)]


class Progress(Structure):
    _fields_ = [("stage", c_char_p), ("step", c_int32), ("steps", c_int32),
                ("train_rmse", c_double), ("valid_rmse", c_double),
                ("loss", c_double), ("elapsed_s", c_double), ("eta_s", c_double)]


PROGRESS_FN = ctypes.CFUNCTYPE(c_int, POINTER(Progress), c_void_p)

_RESERVE = ("_reserve", c_uint8 * 512)


class ImportParams(Structure):
    _fields_ = [("format", c_int), ("strict", c_int), ("delimiter", c_char),
                ("header", c_int), ("col_user", c_int), ("col_item", c_int),
                ("col_rating", c_int), ("col_time", c_int),
                ("rating_min", c_float), ("rating_max", c_float),
                ("load_catalog", c_int), ("load_tags", c_int),
                ("max_messages", c_int), ("progress", PROGRESS_FN),
                ("progress_user", c_void_p)]


class ImportParamsBox(Structure):
    _fields_ = [("p", ImportParams), _RESERVE]


class ImportReport(Structure):
    _fields_ = [(n, c_int64) for n in (
        "rows_read", "rows_kept", "bad_field_count", "bad_number", "bad_rating",
        "unknown_movie", "duplicates", "catalog_rows", "catalog_bad",
        "tags_rows", "tags_bad")] + [("n_messages", c_int32)]


class DatasetStats(Structure):
    _fields_ = [("n_users", c_int32), ("n_items", c_int32),
                ("n_items_rated", c_int32), ("n_catalog", c_int32),
                ("n_ratings", c_int64), ("density", c_double),
                ("rating_min", c_float), ("rating_max", c_float),
                ("rating_lo", c_float), ("rating_hi", c_float),
                ("rating_mean", c_double),
                ("user_min", c_int32), ("user_max", c_int32),
                ("item_min", c_int32), ("item_max", c_int32),
                ("has_time", c_int), ("n_tags", c_int64), _RESERVE]


class Ratings(Structure):
    _fields_ = [("n", c_int64), ("n_users", c_int32), ("n_items", c_int32),
                ("user", i32p), ("item", i32p), ("rating", f32p), ("time", i64p)]


class DatasetArrays(Structure):
    _fields_ = [("n", c_int64), ("user", i64p), ("item", i64p),
                ("rating", f32p), ("time", i64p), ("catalog", c_void_p),
                ("rating_min", c_float), ("rating_max", c_float)]


class TrainParams(Structure):
    _fields_ = [("algo", c_int), ("factors", c_int32), ("epochs", c_int32),
                ("lr", c_float), ("lr_decay", c_float), ("reg", c_float),
                ("reg_bias", c_float), ("init_std", c_float), ("seed", c_uint64),
                ("threads", c_int32), ("valid_frac", c_float),
                ("early_stop", c_int32), ("batch", c_int32), ("beta1", c_float),
                ("beta2", c_float), ("alpha", c_float), ("cg_steps", c_int32),
                ("burnin", c_int32), ("samples", c_int32), ("knn_k", c_int32),
                ("min_support", c_int32), ("shrinkage", c_float), ("sim", c_int),
                ("hybrid_base", c_int), ("ease_lambda", c_float),
                ("max_memory_mb", c_int32), ("rank_min_ratings", c_int32),
                ("rating_power", c_float), ("blend", c_float),
                ("ease_keep", c_int32), ("unobserved", c_float),
                ("reg_exp", c_float), ("features", c_int32),
                ("dense", c_int32), ("item_scale", c_int32),
                ("progress", PROGRESS_FN),
                ("progress_user", c_void_p)]


class TrainParamsBox(Structure):
    _fields_ = [("p", TrainParams), _RESERVE]


class ModelInfo(Structure):
    _fields_ = [("algo", c_int), ("params", TrainParams),
                ("n_users", c_int32), ("n_items", c_int32), ("factors", c_int32),
                ("n_train", c_int64), ("mu", c_float),
                ("rating_min", c_float), ("rating_max", c_float),
                ("train_rmse", c_double), ("valid_rmse", c_double),
                ("epochs_run", c_int32), ("fit_seconds", c_double),
                ("file_version", c_uint32), ("ranked_items", c_int32), _RESERVE]


class Scored(Structure):
    _fields_ = [("item", c_int32), ("score", c_float), ("prediction", c_float)]


class RecommendParams(Structure):
    _fields_ = [("n", c_int32), ("genre", c_char_p), ("min_ratings", c_int32),
                ("exclude_seen", c_int), ("scores", f32p)]


class SplitParams(Structure):
    _fields_ = [("kind", c_int), ("test_frac", c_double), ("folds", c_int32),
                ("leave_out", c_int32), ("min_user_ratings", c_int32),
                ("seed", c_uint64)]


class RankingParams(Structure):
    _fields_ = [("k", c_int32), ("threshold", c_float), ("threads", c_int32),
                ("min_ratings", c_int32)]


class CvParams(Structure):
    _fields_ = [("split", SplitParams), ("train", TrainParams),
                ("ranking", c_int), ("rank", RankingParams),
                ("threads", c_int32), ("progress", PROGRESS_FN),
                ("progress_user", c_void_p)]


class CvParamsBox(Structure):
    _fields_ = [("p", CvParams), _RESERVE]


def _locate():
    here = os.path.dirname(os.path.abspath(__file__))
    env = os.environ.get("MFREC_LIB")
    if env:
        if os.path.isdir(env):
            for name in (SONAME, "libmfrec.so"):
                if os.path.exists(os.path.join(env, name)):
                    return [os.path.join(env, name)]
        return [env]
    found = []
    for name in (SONAME, "libmfrec.so"):
        p = os.path.join(here, name)
        if os.path.exists(p):
            found.append(p)
    found.append(SONAME)
    lib = ctypes.util.find_library("mfrec")
    if lib:
        found.append(lib)
    root = os.path.dirname(os.path.dirname(here))
    found += sorted(glob.glob(os.path.join(root, "build*", "libmfrec.so")))
    return found


def _load():
    tried = []
    for path in _locate():
        try:
            return ctypes.CDLL(path), path
        except OSError as e:
            tried.append("%s (%s)" % (path, e))
    raise ImportError(
        "mfrec: cannot load libmfrec.so; tried: %s. Install the C library "
        "(make install) or set MFREC_LIB to the path of libmfrec.so "
        "(a build folder's libmfrec.so works)." % "; ".join(tried))


lib, path = _load()

_PROTOS = {
    # core, errors
    "mfr_version": (c_char_p, []),
    "mfr_status_name": (c_char_p, [c_int]),
    "mfr_status_message": (c_char_p, [c_int]),
    "mfr_cpu_count": (c_int, []),
    # dataset
    "mfr_import_params_default": (ImportParams, []),
    "mfr_import_params_set_columns": (c_int, [POINTER(ImportParams), c_char_p, POINTER(Error)]),
    "mfr_dataset_import": (c_int, [c_char_p, POINTER(ImportParams), POINTER(c_void_p), POINTER(Error)]),
    "mfr_dataset_save": (c_int, [c_void_p, c_char_p, POINTER(Error)]),
    "mfr_dataset_free": (None, [c_void_p]),
    "mfr_dataset_report": (POINTER(ImportReport), [c_void_p]),
    "mfr_dataset_message": (c_char_p, [c_void_p, c_int32]),
    "mfr_dataset_source": (c_char_p, [c_void_p]),
    "mfr_dataset_stats_get": (None, [c_void_p, POINTER(DatasetStats)]),
    "mfr_dataset_ratings": (None, [c_void_p, POINTER(Ratings)]),
    "mfr_dataset_scale": (None, [c_void_p, f32p, f32p]),
    "mfr_dataset_user_ids": (i64p, [c_void_p]),
    "mfr_dataset_item_ids": (i64p, [c_void_p]),
    "mfr_dataset_user_index": (c_int32, [c_void_p, c_int64]),
    "mfr_dataset_item_index": (c_int32, [c_void_p, c_int64]),
    "mfr_dataset_item_title": (c_char_p, [c_void_p, c_int32]),
    "mfr_dataset_item_genres": (c_char_p, [c_void_p, c_int32]),
    "mfr_dataset_item_year": (c_int32, [c_void_p, c_int32]),
    "mfr_dataset_build": (c_int, [POINTER(DatasetArrays), POINTER(c_void_p), POINTER(Error)]),
    # model
    "mfr_algo_name": (c_char_p, [c_int]),
    "mfr_algo_from_name": (c_int, [c_char_p, POINTER(c_int), POINTER(Error)]),
    "mfr_train_params_default": (TrainParamsBox, [c_int]),
    "mfr_train_params_check": (c_int, [POINTER(TrainParams), POINTER(Error)]),
    "mfr_train_params_set": (c_int, [POINTER(TrainParams), c_char_p, c_char_p, POINTER(Error)]),
    "mfr_train_params_format": (c_int, [POINTER(TrainParams), c_char_p, c_int]),
    "mfr_model_train": (c_int, [c_void_p, POINTER(Ratings), POINTER(Ratings),
                                POINTER(TrainParams), POINTER(c_void_p), POINTER(Error)]),
    "mfr_model_save": (c_int, [c_void_p, c_char_p, POINTER(Error)]),
    "mfr_model_load": (c_int, [c_char_p, POINTER(c_void_p), POINTER(Error)]),
    "mfr_model_free": (None, [c_void_p]),
    "mfr_model_info_get": (None, [c_void_p, POINTER(ModelInfo)]),
    "mfr_model_n_users": (c_int32, [c_void_p]),
    "mfr_model_n_items": (c_int32, [c_void_p]),
    "mfr_model_user_index": (c_int32, [c_void_p, c_int64]),
    "mfr_model_item_index": (c_int32, [c_void_p, c_int64]),
    "mfr_model_item_title": (c_char_p, [c_void_p, c_int32]),
    "mfr_model_item_genres": (c_char_p, [c_void_p, c_int32]),
    "mfr_model_item_year": (c_int32, [c_void_p, c_int32]),
    "mfr_model_item_count": (c_int32, [c_void_p, c_int32]),
    "mfr_model_user_items": (i32p, [c_void_p, c_int32, i32p]),
    "mfr_model_user_ids": (i64p, [c_void_p]),
    "mfr_model_item_ids": (i64p, [c_void_p]),
    "mfr_model_user_bias": (f32p, [c_void_p]),
    "mfr_model_item_bias": (f32p, [c_void_p]),
    "mfr_model_user_factors": (f32p, [c_void_p]),
    "mfr_model_item_factors": (f32p, [c_void_p]),
    "mfr_model_predict_many": (None, [c_void_p, c_int64, i32p, i32p, f32p]),
    "mfr_recommend_params_default": (RecommendParams, []),
    "mfr_model_recommend": (c_int, [c_void_p, c_int32, POINTER(RecommendParams),
                                    POINTER(Scored), i32p, POINTER(Error)]),
    "mfr_model_recommend_batch": (c_int, [c_void_p, i32p, c_int32, POINTER(RecommendParams),
                                          c_int, POINTER(Scored), i32p, POINTER(Error)]),
    "mfr_model_similar": (c_int, [c_void_p, c_int32, c_int, c_int32, c_int32,
                                  POINTER(Scored), i32p, POINTER(Error)]),
    "mfr_model_find_title": (None, [c_void_p, c_char_p, i32p, c_int32, i32p]),
    # eval
    "mfr_metric_name": (c_char_p, [c_int]),
    "mfr_split_params_default": (SplitParams, []),
    "mfr_ranking_params_default": (RankingParams, []),
    "mfr_cv_params_default": (CvParamsBox, [c_int]),
    "mfr_cv_run": (c_int, [c_void_p, POINTER(Ratings), POINTER(CvParams), c_void_p,
                           POINTER(Error)]),
    "mfr_cv_result_free": (None, [c_void_p]),
}

for _name, (_res, _args) in _PROTOS.items():
    _f = getattr(lib, _name)
    _f.restype = _res
    _f.argtypes = _args

# Optional (newer libraries): whether a training field is read by an algorithm.
train_params_applies = getattr(lib, "mfr_train_params_applies", None)
if train_params_applies is not None:
    train_params_applies.restype = c_int
    train_params_applies.argtypes = [c_int, c_char_p]

# The number of metrics (mfr_metric's size), counted from the library itself.
N_METRICS = 0
while lib.mfr_metric_name(N_METRICS) is not None:
    N_METRICS += 1
METRIC_NAMES = [lib.mfr_metric_name(m).decode() for m in range(N_METRICS)]


class FoldResult(Structure):
    _fields_ = [("v", c_double * N_METRICS)] + [(n, c_int64) for n in (
        "n_train", "n_test", "unknown_users", "unknown_items", "users_ranked",
        "users_no_relevant", "users_unknown")] + [("epochs_run", c_int32)]


class CvResult(Structure):
    _fields_ = [("n_folds", c_int32), ("folds", POINTER(FoldResult)),
                ("mean", c_double * N_METRICS), ("std", c_double * N_METRICS)]


lib.mfr_cv_run.argtypes = [c_void_p, POINTER(Ratings), POINTER(CvParams),
                           POINTER(CvResult), POINTER(Error)]
lib.mfr_cv_result_free.argtypes = [POINTER(CvResult)]

version = lib.mfr_version().decode()
if int(version.split(".")[0]) != ABI_MAJOR:
    raise ImportError("mfrec: %s is version %s; this package needs %d.x"
                      % (path, version, ABI_MAJOR))
