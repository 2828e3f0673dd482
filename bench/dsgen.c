/* dsgen.c: a deterministic generator of realistic Vietnamese one-stop dossiers, one JSON
 * object per line (about 600 bytes each), for the demo, the tests and the benchmarks.
 * The same --seed always gives the same dossiers. --per-day N spreads them over
 * consecutive days, N a day (a daily sequence holds at most 8999 allocated codes). */
#include "base/version.h"

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t rng;

static uint64_t next(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static int pick(int n)
{
	return (int)(next() % (uint64_t)n);
}

#define PICK(a) (a[pick((int)(sizeof(a) / sizeof(a[0])))])

static const char *family[] = {"Nguyễn", "Trần", "Lê",  "Phạm", "Hoàng", "Huỳnh", "Phan",  "Vũ",
                               "Võ",     "Đặng", "Bùi", "Đỗ",   "Hồ",    "Ngô",   "Dương", "Lý"};
static const char *middle[] = {"Văn",   "Thị", "Hữu",   "Ngọc", "Minh",
                               "Thanh", "Đức", "Quang", "Thu",  "Xuân"};
static const char *given[] = {"An",   "Bình", "Châu", "Dung", "Giang", "Hà",   "Hải", "Hạnh",
                              "Hoa",  "Hùng", "Lan",  "Linh", "Long",  "Mai",  "Nam", "Phương",
                              "Quân", "Sơn",  "Tâm",  "Thảo", "Trang", "Tuấn", "Vy",  "Yến"};
static const char *streets[] = {"Nguyễn Huệ",      "Lê Lợi",  "Trần Phú",   "Quang Trung",
                                "Phan Đình Phùng", "Lê Duẩn", "Hùng Vương", "Nguyễn Du"};
static const char *places[] = {"Xã Nghi Phú, Nghệ An",      "Phường Bến Nghé, TP Hồ Chí Minh",
                               "Xã Mường Phăng, Điện Biên", "Xã Trà Leng, Quảng Nam",
                               "Phường Hưng Dũng, Nghệ An", "Xã Tả Van, Lào Cai"};
static const char *officers[] = {"Nguyễn Hữu Phước", "Trần Thị Thu", "Lê Minh Đức",
                                 "Phạm Thanh Hà"};

struct procedure {
	const char *code, *name, *field, *summary, *doc_code, *doc_name;
	int fee, days;
};

static const struct procedure procs[] = {
    {"1.001193", "Đăng ký khai sinh", "HT", "Đăng ký khai sinh cho con", "TK",
     "Tờ khai đăng ký khai sinh", 0, 1},
    {"1.000894", "Đăng ký kết hôn", "HT", "Đăng ký kết hôn", "TK", "Tờ khai đăng ký kết hôn", 0, 1},
    {"1.001022", "Đăng ký khai tử", "HT", "Đăng ký khai tử cho người thân", "GBT", "Giấy báo tử", 0,
     1},
    {"1.004194", "Đăng ký thường trú", "CT", "Đăng ký thường trú cho hộ gia đình", "CT01",
     "Tờ khai thay đổi thông tin cư trú", 0, 7},
    {"2.000908", "Chứng thực bản sao từ bản chính", "CTH", "Chứng thực bản sao giấy tờ", "BC",
     "Bản chính giấy tờ", 2000, 1},
    {"1.004873", "Cấp giấy xác nhận tình trạng hôn nhân", "HT",
     "Xác nhận tình trạng hôn nhân để làm thủ tục vay vốn", "TK", "Tờ khai theo mẫu", 0, 3},
    {"1.003005", "Xác nhận hộ nghèo, hộ cận nghèo", "BTXH", "Xác nhận hộ cận nghèo năm 2025", "DN",
     "Giấy đề nghị xác nhận", 0, 5},
    {"1.001612", "Cấp giấy phép xây dựng nhà ở riêng lẻ", "XD", "Xin phép xây dựng nhà ở hai tầng",
     "DXP", "Đơn đề nghị cấp giấy phép", 75000, 15},
};

static void fmt_time(time_t t, char *out, size_t n)
{
	struct tm tm;

	t += 7 * 3600;
	gmtime_r(&t, &tm);
	strftime(out, n, "%Y-%m-%dT%H:%M:%S+07:00", &tm);
}

/* Dossier i, received on day0 + day; seq is its number in the day's codes (1-based). */
static void one(int i, time_t day0, long day, int seq, const char *office, int with_code)
{
	const struct procedure *p = &procs[pick((int)(sizeof(procs) / sizeof(procs[0])))];
	time_t recv =
	    (day0 += (time_t)day * 86400) + 7 * 3600 + i * 97 % (4 * 3600 + 1800) + pick(60);
	char r[40], due[40], name[128], phone[24], cccd[24]; /* room for any int: gcc -O0 checks */
	int channel = pick(10) < 7 ? 1 : 2;

	fmt_time(recv, r, sizeof(r));
	fmt_time(day0 + (p->days + (p->days > 1)) * 86400 + 17 * 3600, due, sizeof(due));
	snprintf(name, sizeof(name), "%s %s %s", PICK(family), PICK(middle), PICK(given));
	snprintf(phone, sizeof(phone), "09%08d", (int)(next() % 100000000));
	snprintf(cccd, sizeof(cccd), "0%02d%09d", 1 + pick(95), (int)(next() % 1000000000));
	printf("{");
	if (with_code)
		printf("\"code\":\"%s-%.2s%.2s%.2s-%04d\",", office, r + 2, r + 5, r + 8, seq);
	printf("\"procedure\":{\"code\":\"%s\",\"name\":\"%s\"},\"field\":\"%s\","
	       "\"channel\":%d,",
	       p->code, p->name, p->field, channel);
	printf("\"applicant\":{\"name\":\"%s\",\"id_number\":\"%s\",\"phone\":\"%s\","
	       "\"address\":\"Số %d, đường %s, %s\"},",
	       name, cccd, phone, 1 + pick(400), PICK(streets), PICK(places));
	printf("\"summary\":\"%s\",\"received_at\":\"%s\",\"due_at\":\"%s\",\"status\":2,",
	       p->summary, r, due);
	printf("\"components\":[{\"id\":\"tp1\",\"code\":\"%s\",\"name\":\"%s\",\"originals\":1,"
	       "\"copies\":%d,\"digitised\":%s}],",
	       p->doc_code, p->doc_name, pick(3), pick(2) ? "true" : "false");
	if (p->fee)
		printf("\"fees\":[{\"id\":\"lp1\",\"code\":\"LP\",\"amount\":%d,\"paid\":true,"
		       "\"paid_at\":\"%s\"}],",
		       p->fee, r);
	printf("\"progress\":[{\"id\":\"p0\",\"who\":\"%s\",\"when\":\"%s\","
	       "\"what\":\"Mới tiếp nhận\",\"status\":2}]}\n",
	       PICK(officers), r);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"count", 1, 0, 'n'}, {"seed", 1, 0, 's'},    {"office", 1, 0, 'o'},
	    {"date", 1, 0, 'd'},  {"codes", 0, 0, 'c'},   {"per-day", 1, 0, 'p'},
	    {"help", 0, 0, 'h'},  {"version", 0, 0, 'V'}, {0, 0, 0, 0}};
	const char *office = "000.00.12.H22";
	long count = 10, per_day = 0, i;
	int with_code = 0, ch, y = 2025, m = 11, d = 29;
	struct tm tm = {0};
	time_t day0;

	rng = 1;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'n')
			count = atol(optarg);
		else if (ch == 's')
			rng = strtoull(optarg, NULL, 10);
		else if (ch == 'o')
			office = optarg;
		else if (ch == 'c')
			with_code = 1;
		else if (ch == 'p' && (per_day = atol(optarg)) >= 1 && per_day <= 9999)
			continue;
		else if (ch == 'd' && sscanf(optarg, "%d-%d-%d", &y, &m, &d) == 3)
			continue;
		else if (ch == 'V')
			return printf("dsgen %s\n", DOSSYNC_VERSION) < 0;
		else {
			fprintf(stderr,
			        "usage: dsgen [--count N] [--seed S] [--office AGENCY] "
			        "[--date YYYY-MM-DD] [--codes] [--per-day N] [--version]\n");
			return ch == 'h' ? 0 : 64;
		}
	}
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	day0 = timegm(&tm) - 7 * 3600; /* midnight in +07:00 */
	for (i = 0; i < count; i++) {
		if (per_day)
			one((int)i, day0, i / per_day, (int)(i % per_day) + 1, office, with_code);
		else
			one((int)i, day0, 0, (int)i + 1, office, with_code && i < 9999);
	}
	return 0;
}
