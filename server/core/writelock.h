/* SPDX-License-Identifier: GPL-2.0 */
/*
 * writelock.h - one in-process writer queue per database file.
 *
 * Purpose: SQLite lets one connection write at a time; a second one that
 * asks for the write lock gets SQLITE_BUSY and its busy handler sleeps
 * (1, 2, 5, 10 ... ms) before asking again. Inside one process that sleep
 * is pure loss: the store therefore takes this mutex before BEGIN
 * IMMEDIATE and drops it after COMMIT/ROLLBACK, so in-process writers
 * queue on a mutex and start the moment the previous one commits. Other
 * processes (the CLI, sqlite3) still meet SQLite's own lock and busy
 * handler; the mutex only orders this process's connections.
 *
 * Invariants: connections to the same file (same realpath) share one lock;
 * entries are reference counted and freed with the last connection. The
 * lock is not recursive: a thread must not open a second write transaction
 * on the same file while holding one (acquire then fails with -EBUSY after
 * the timeout instead of hanging forever).
 *
 * Ownership: lab_writelock_get() returns a counted reference that
 * lab_writelock_put() drops. Errors: 0 or -errno (-ENOMEM; -EBUSY when the
 * lock stayed busy for @timeout_ms).
 */
#ifndef LAB_WRITELOCK_H
#define LAB_WRITELOCK_H

struct lab_writelock;

int lab_writelock_get(const char *db_path, struct lab_writelock **out);
void lab_writelock_put(struct lab_writelock *wl);
int lab_writelock_acquire(struct lab_writelock *wl, int timeout_ms);
void lab_writelock_release(struct lab_writelock *wl);

#endif
