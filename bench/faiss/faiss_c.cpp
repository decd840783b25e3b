// faiss_c.cpp — the few functions of Faiss's C API (declared in Debian's
// /usr/include/faiss/c_api) that bench/faiss/faiss_topn.c calls. Debian's
// libfaiss-dev 1.7.3 ships those headers but no C API library: libfaiss.a
// holds no faiss_* symbol (`nm libfaiss.a | grep ' T faiss_'`), so this bench
// defines them over the C++ classes. Built only with the Faiss bench.
#include <faiss/AutoTune.h>
#include <faiss/IndexFlat.h>
#include <faiss/IndexIVF.h>
#include <faiss/index_factory.h>
#include <exception>

extern "C" {
#include <faiss/c_api/AutoTune_c.h>
#include <faiss/c_api/IndexFlat_c.h>
#include <faiss/c_api/IndexIVF_c.h>
#include <faiss/c_api/Index_c.h>
#include <faiss/c_api/index_factory_c.h>
}

#define TRY(body)                                                                                  \
    try {                                                                                          \
        body;                                                                                      \
        return 0;                                                                                  \
    } catch (const std::exception &) {                                                             \
        return -2;                                                                                 \
    } catch (...) {                                                                                \
        return -4;                                                                                 \
    }

extern "C" {
int faiss_IndexFlatIP_new_with(FaissIndexFlatIP **p, idx_t d) {
    TRY(*p = reinterpret_cast<FaissIndexFlatIP *>(new faiss::IndexFlatIP(d)))
}
int faiss_index_factory(FaissIndex **p, int d, const char *desc, FaissMetricType metric) {
    TRY(*p = reinterpret_cast<FaissIndex *>(
            faiss::index_factory(d, desc, static_cast<faiss::MetricType>(metric))))
}
void faiss_Index_free(FaissIndex *x) { delete reinterpret_cast<faiss::Index *>(x); }
int faiss_Index_train(FaissIndex *x, idx_t n, const float *v) {
    TRY(reinterpret_cast<faiss::Index *>(x)->train(n, v))
}
int faiss_Index_add(FaissIndex *x, idx_t n, const float *v) {
    TRY(reinterpret_cast<faiss::Index *>(x)->add(n, v))
}
int faiss_Index_search(const FaissIndex *x, idx_t n, const float *q, idx_t k, float *d, idx_t *l) {
    TRY(reinterpret_cast<const faiss::Index *>(x)->search(n, q, k, d, l))
}
int faiss_ParameterSpace_new(FaissParameterSpace **p) {
    TRY(*p = reinterpret_cast<FaissParameterSpace *>(new faiss::ParameterSpace()))
}
void faiss_ParameterSpace_free(FaissParameterSpace *p) {
    delete reinterpret_cast<faiss::ParameterSpace *>(p);
}
int faiss_ParameterSpace_set_index_parameter(const FaissParameterSpace *p, FaissIndex *x,
                                             const char *name, double v) {
    TRY(reinterpret_cast<const faiss::ParameterSpace *>(p)->set_index_parameter(
            reinterpret_cast<faiss::Index *>(x), name, v))
}
}
