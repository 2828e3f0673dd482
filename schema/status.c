/* status.c: the ten national dossier status codes (TrangThaiHoSo), their Vietnamese
 * names, and the legal moves between them (docs/DOMAIN.md "Legal moves"). Every edge below is
 * performed by schema_op_apply(): a create for the edges out of "new", a transition op
 * for all the others (a merge or resolve op may make the same moves, checked by the rule
 * book in rules.c); schema_status_legal() is the one place that decides them.
 *
 *   c: schema_op_apply() of a create op      t: schema_op_apply() of a transition op
 *
 *   The usual path:
 *
 *     (new) --c--> [3] Từ chối tiếp nhận #
 *       |  \
 *       |   +--c--> [1] Mới đăng ký (submitted online)
 *       c               | t
 *       |               v
 *       +-----------> [2] Đã tiếp nhận
 *                       | t
 *                       v
 *                     [4] Đang xử lý <--t--> [5] Yêu cầu bổ sung
 *                    ^ |  |
 *                    +-+  +<--t--> [6] Chờ thực hiện nghĩa vụ tài chính
 *                   t  |           (the loop on 4: a new processing step)
 *                      | t
 *                      v               t
 *                     [9] Đã có kết quả --> [10] Đã trả kết quả #
 *
 *   Every legal move (# = terminal: 3, 8, 10; nothing leaves them):
 *
 *             to:  1   2   3   4   5   6   7   8   9   10
 *     from (new)   c   c   c
 *            1         t   t       t       t
 *            2                 t       t   t       t
 *            4                 t   t   t   t   t   t
 *            5                 t           t   t
 *            6                 t           t       t   t        (6 -> 10: fee at return)
 *            7     and 7 -> prior              t                (8: request granted)
 *            9                         t               t        (9 -> 4 is forbidden)
 *
 *   7 -> prior: a refused withdrawal goes back to the status held before 7, which
 *   schema_op_apply(transition) records in "prior_status" on the way into 7.
 *
 * 1 -> 7 is legal, so the prior of a 7 may be 1 as well as 2, 4, 5 or 6 (leaving 1 out
 * would strand a withdrawn online submission).
 */
#include "schema/schema.h"

#define BIT(s) (1u << (s))

/* moves[from]: the statuses reachable from `from`, 7 -> prior aside. */
static const unsigned moves[SCHEMA_STATUS_MAX + 1] = {
    [SCHEMA_STATUS_NEW] = BIT(1) | BIT(2) | BIT(3),
    [1] = BIT(2) | BIT(3) | BIT(5) | BIT(7),
    [2] = BIT(4) | BIT(6) | BIT(7) | BIT(9),
    [3] = 0,
    [4] = BIT(4) | BIT(5) | BIT(6) | BIT(7) | BIT(8) | BIT(9),
    [5] = BIT(4) | BIT(7) | BIT(8),
    [6] = BIT(4) | BIT(7) | BIT(9) | BIT(10),
    [7] = BIT(8),
    [8] = 0,
    [9] = BIT(6) | BIT(10),
    [10] = 0,
};

static const char *const names[SCHEMA_STATUS_MAX + 1] = {
    [1] = "Mới đăng ký",
    [2] = "Đã tiếp nhận",
    [3] = "Từ chối tiếp nhận",
    [4] = "Đang xử lý",
    [5] = "Yêu cầu bổ sung",
    [6] = "Chờ thực hiện nghĩa vụ tài chính",
    [7] = "Công dân yêu cầu rút hồ sơ",
    [8] = "Dừng xử lý",
    [9] = "Đã có kết quả",
    [10] = "Đã trả kết quả",
};

int schema_status_valid(int s)
{
	return s >= 1 && s <= SCHEMA_STATUS_MAX;
}

int schema_status_terminal(int s)
{
	return s == 3 || s == 8 || s == 10;
}

int schema_status_legal(int from, int to, int prior)
{
	if (from < SCHEMA_STATUS_NEW || from > SCHEMA_STATUS_MAX || !schema_status_valid(to))
		return 0;
	if (moves[from] & BIT(to))
		return 1;
	/* 7 -> prior: the withdrawal request was refused; prior is a status that can
	 * move to 7 (1, 2, 4, 5 or 6). */
	return from == 7 && to == prior && schema_status_valid(prior) &&
	       (moves[prior] & BIT(7)) != 0;
}

const char *schema_status_name(int s)
{
	return schema_status_valid(s) ? names[s] : "";
}
