/* cols_int.h: what the column encoder (cols.c), decoder (cols_dec.c) and value forms
 * (cols_pack.c) of docs/PROTOCOL.md "Columns" share inside sync/. */
#ifndef DS_SYNC_COLS_INT_H
#define DS_SYNC_COLS_INT_H

#include "sync/sync.h"

/* sync_cols_encode of records without their own members named in skip (nskip of them):
 * the same document as the encoding of copies of the records without those members. */
int cols_encode_skip(const json_t *records, const char *const *skip, size_t nskip, json_t **out);

/* Sets on col the values vals (an array, taken over) in the smallest of the value forms:
 * "t" (times as deltas), "d" and "i" (a dictionary and indexes), "x", "i" and "n" (numbered
 * text), "w" and "s" (fixed-width text) or "v" (the values as they are). */
void cols_pack(json_t *col, json_t *vals);

/* The members of column ci beside "p" and "r": 0 when they are exactly one value form
 * holding rows values, else DS_EINVALID. */
int cols_form_check(const json_t *col, size_t ci, size_t rows);

/* The values of column ci (checked by cols_form_check) as a new array: taken by
 * reference from the document, or built (times, fixed-width text); *made counts the
 * bytes built (DS_ETOOBIG past max_made). DS_EINVALID for a bad index, time or delta. */
int cols_unpack(const json_t *col, size_t ci, size_t *made, size_t max_made, json_t **vals);

/* Counts n more bytes of built values against max: DS_ETOOBIG past it. */
int cols_made_add(size_t *made, size_t n, size_t max);

/* A dictionary of vals: each distinct key (key_of writes a value's key into a buffer) once,
 * in order of first use, as entry_of makes it (a new reference), and each value's index
 * into it. Sets name and "i" on col (0) when at most half of the values are distinct; -1
 * (col untouched) when more are. */
int cols_dict(json_t *col, const char *name, const json_t *vals,
              void (*key_of)(const json_t *v, ds_buf *key), json_t *(*entry_of)(const json_t *v));

/* cols_num.c: sets "x", "i" and "n" on col (0) when vals are text with the same count of
 * digit runs whose deltas are cheap; -1 (col untouched) when not. */
int cols_num_pack(json_t *col, const json_t *vals);
/* Appends the rows values of column ci's "x", "i" and "n" to vals. */
int cols_num_unpack(const json_t *col, size_t ci, size_t rows, size_t *made, size_t max,
                    json_t *vals);

/* 1 when an array is laid out by element (non-empty, every element a non-empty object):
 * the encoder recurses into it (a decoder also takes one sent as a value). */
int cols_flat_array(const json_t *v);

#endif
