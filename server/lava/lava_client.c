/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lava_client.c - LAVA labs configuration and REST v0.2 calls (lava_client.h).
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "httpc.h"
#include "lava_client.h"
#include "lava_util.h"

#define CONNECT_TIMEOUT_S	5
#define REQUEST_TIMEOUT_S	30
#define LOG_TIMEOUT_S		120

/* ---- labs ---- */

static int copy_str(char *dst, size_t cap, json_t *v, const char *key,
		    bool required, char *err, size_t errlen)
{
	const char *s = json_string_value(json_object_get(v, key));

	if (!s) {
		if (json_object_get(v, key) || required) {
			lab_lava_seterr(err, errlen, "lab: \"%s\" must be a string", key);
			return -EINVAL;
		}
		dst[0] = '\0';
		return 0;
	}
	if (strlen(s) >= cap) {
		lab_lava_seterr(err, errlen, "lab: \"%s\" is longer than %zu", key, cap - 1);
		return -EINVAL;
	}
	strcpy(dst, s);
	return 0;
}

static bool name_ok(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (!n || n > max)
		return false;
	for (; *s; s++)
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) && *s != '-')
			return false;
	return true;
}

static bool http_url(const char *s)
{
	return !strncmp(s, "http://", 7) || !strncmp(s, "https://", 8);
}

static int read_token_file(const char *path, char *dst, size_t cap, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f) {
		lab_lava_seterr(err, errlen, "lab: token_file %s: %s", path, strerror(errno));
		return -ENOENT;
	}
	n = fread(dst, 1, cap - 1, f);
	fclose(f);
	dst[n] = '\0';
	while (n && isspace((unsigned char)dst[n - 1]))
		dst[--n] = '\0';
	if (!n) {
		lab_lava_seterr(err, errlen, "lab: token_file %s is empty", path);
		return -EINVAL;
	}
	return 0;
}

static int lab_parse(json_t *v, struct lab_lava_lab *lab, char *err, size_t errlen)
{
	char token_file[512];
	json_t *dts, *x;
	size_t i;
	int r;

	if (!json_is_object(v)) {
		lab_lava_seterr(err, errlen, "lab: each lab must be an object");
		return -EINVAL;
	}
	if ((r = copy_str(lab->name, sizeof(lab->name), v, "name", true, err, errlen)) ||
	    (r = copy_str(lab->url, sizeof(lab->url), v, "url", true, err, errlen)) ||
	    (r = copy_str(lab->token, sizeof(lab->token), v, "token", false, err, errlen)) ||
	    (r = copy_str(token_file, sizeof(token_file), v, "token_file", false, err, errlen)) ||
	    (r = copy_str(lab->artifacts, sizeof(lab->artifacts), v, "artifacts", false, err, errlen)) ||
	    (r = copy_str(lab->callback_url, sizeof(lab->callback_url), v, "callback_url", false, err, errlen)) ||
	    (r = copy_str(lab->callback_token, sizeof(lab->callback_token), v, "callback_token", false, err, errlen)) ||
	    (r = copy_str(lab->callback_token_desc, sizeof(lab->callback_token_desc), v,
			  "callback_token_desc", false, err, errlen)))
		return r;
	if (!name_ok(lab->name, 32)) {
		lab_lava_seterr(err, errlen, "lab: name \"%s\" must be [a-z0-9-]{1,32}", lab->name);
		return -EINVAL;
	}
	if (!http_url(lab->url)) {
		lab_lava_seterr(err, errlen, "lab %s: url must start with http:// or https://", lab->name);
		return -EINVAL;
	}
	while (strlen(lab->url) > 8 && lab->url[strlen(lab->url) - 1] == '/')
		lab->url[strlen(lab->url) - 1] = '\0';
	if (!lab->token[0] && token_file[0] &&
	    (r = read_token_file(token_file, lab->token, sizeof(lab->token), err, errlen)))
		return r;
	if (!lab->token[0]) {
		lab_lava_seterr(err, errlen, "lab %s: needs \"token\" or \"token_file\"", lab->name);
		return -EINVAL;
	}
	for (const char *p = lab->token; *p; p++)
		if (!isgraph((unsigned char)*p)) {
			lab_lava_seterr(err, errlen, "lab %s: token has a character that is not printable", lab->name);
			return -EINVAL;
		}
	if (!lab->artifacts[0])
		strcpy(lab->artifacts, "file");
	if (strcmp(lab->artifacts, "file") && !http_url(lab->artifacts)) {
		lab_lava_seterr(err, errlen, "lab %s: artifacts must be \"file\" or an http(s) URL", lab->name);
		return -EINVAL;
	}
	if (lab->callback_url[0]) {
		if (!http_url(lab->callback_url) || !lab->callback_token[0] ||
		    !lab->callback_token_desc[0]) {
			lab_lava_seterr(err, errlen, "lab %s: callback_url needs an http(s) URL, callback_token and callback_token_desc",
			       lab->name);
			return -EINVAL;
		}
	}
	dts = json_object_get(v, "device_types");
	if (!json_is_array(dts) || json_array_size(dts) > 16) {
		lab_lava_seterr(err, errlen, "lab %s: device_types must be an array of at most 16 names", lab->name);
		return -EINVAL;
	}
	json_array_foreach(dts, i, x) {
		const char *s = json_string_value(x);

		if (!s || !*s || strlen(s) >= sizeof(lab->device_types[0])) {
			lab_lava_seterr(err, errlen, "lab %s: device_types[%zu] is not a short string", lab->name, i);
			return -EINVAL;
		}
		strcpy(lab->device_types[lab->n_device_types++], s);
	}
	x = json_object_get(v, "poll_s");
	lab->poll_s = x ? (int)json_integer_value(x) : 10;
	if (lab->poll_s < 1 || lab->poll_s > 3600) {
		lab_lava_seterr(err, errlen, "lab %s: poll_s must be 1..3600", lab->name);
		return -EINVAL;
	}
	return 0;
}

int lab_lava_labs_parse(json_t *labs, struct lab_lava_lab **out, size_t *n,
			char *err, size_t errlen)
{
	struct lab_lava_lab *arr;
	json_t *list, *v;
	size_t i, count;
	int r;

	*out = NULL;
	*n = 0;
	if (!labs)
		return 0;
	list = json_object_get(labs, "labs");
	if (!json_is_array(list)) {
		lab_lava_seterr(err, errlen, "labs: want {\"labs\": [...]}");
		return -EINVAL;
	}
	count = json_array_size(list);
	if (!count)
		return 0;
	arr = calloc(count, sizeof(*arr));
	if (!arr)
		return -ENOMEM;
	json_array_foreach(list, i, v) {
		r = lab_parse(v, &arr[i], err, errlen);
		if (r)
			goto free_arr;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(arr[j].name, arr[i].name)) {
				lab_lava_seterr(err, errlen, "labs: name %s used twice", arr[i].name);
				r = -EINVAL;
				goto free_arr;
			}
	}
	*out = arr;
	*n = count;
	return 0;
free_arr:
	free(arr);
	return r;
}

void lab_lava_labs_free(struct lab_lava_lab *labs)
{
	free(labs);
}

const struct lab_lava_lab *lab_lava_lab_find(const struct lab_lava_lab *labs, size_t n,
					     const char *lab_name,
					     const char *device_type)
{
	for (size_t i = 0; i < n; i++) {
		if (lab_name) {
			if (!strcmp(labs[i].name, lab_name))
				return &labs[i];
			continue;
		}
		for (size_t j = 0; device_type && j < labs[i].n_device_types; j++)
			if (!strcmp(labs[i].device_types[j], device_type))
				return &labs[i];
	}
	return NULL;
}

const char *lab_lava_health_name(enum lab_lava_health h)
{
	switch (h) {
	case LAB_LAVA_HEALTH_UNKNOWN: return "Unknown";
	case LAB_LAVA_HEALTH_COMPLETE: return "Complete";
	case LAB_LAVA_HEALTH_INCOMPLETE: return "Incomplete";
	case LAB_LAVA_HEALTH_CANCELED: return "Canceled";
	}
	return "?";
}

int lab_lava_health_parse(const char *s, enum lab_lava_health *out)
{
	static const enum lab_lava_health all[] = {
		LAB_LAVA_HEALTH_UNKNOWN, LAB_LAVA_HEALTH_COMPLETE,
		LAB_LAVA_HEALTH_INCOMPLETE, LAB_LAVA_HEALTH_CANCELED,
	};

	for (size_t i = 0; s && i < sizeof(all) / sizeof(all[0]); i++)
		if (!strcasecmp(s, lab_lava_health_name(all[i]))) {
			*out = all[i];
			return 0;
		}
	return -EINVAL;
}

/* ---- HTTP ---- */

static int curl_errno(CURLcode c)
{
	switch (c) {
	case CURLE_COULDNT_CONNECT: return -ECONNREFUSED;
	case CURLE_COULDNT_RESOLVE_HOST: return -EHOSTUNREACH;
	case CURLE_OPERATION_TIMEDOUT: return -ETIMEDOUT;
	case CURLE_OUT_OF_MEMORY: return -ENOMEM;
	default: return -EIO;
	}
}

/* LAVA's error bodies: {"detail": "..."} or {"message": "..."} or text */
static void error_text(const struct lab_httpc_body *b, char *err, size_t errlen, long status,
		       const char *what)
{
	json_t *j = b->data ? json_loadb(b->data, b->len, 0, NULL) : NULL;
	const char *m = NULL;

	if (j) {
		m = json_string_value(json_object_get(j, "message"));
		if (!m)
			m = json_string_value(json_object_get(j, "detail"));
	}
	if (m)
		lab_lava_seterr(err, errlen, "%s: HTTP %ld: %s", what, status, m);
	else
		lab_lava_seterr(err, errlen, "%s: HTTP %ld: %.200s", what, status,
		       b->data ? b->data : "(no body)");
	json_decref(j);
}

/*
 * One request to @lab's URL + @path. @post_json: a JSON body (POST) or NULL
 * (GET). Fills @b with the body on 2xx; returns -errno otherwise.
 */
static int request(const struct lab_lava_lab *lab, const char *path, const char *post_json,
		   long timeout_s, struct lab_httpc_body *b, char *err, size_t errlen, const char *what)
{
	struct curl_slist *hdrs = NULL, *h;
	char auth[300], url[1024];
	long status = 0;
	CURLcode c;
	CURL *cu;
	int r = 0;

	memset(b, 0, sizeof(*b));
	b->max = LAB_LAVA_BODY_MAX;
	if ((size_t)snprintf(url, sizeof(url), "%s%s", lab->url, path) >= sizeof(url) ||
	    (size_t)snprintf(auth, sizeof(auth), "Authorization: Token %s", lab->token) >= sizeof(auth))
		return -EINVAL;
	cu = curl_easy_init();
	if (!cu)
		return -ENOMEM;
	h = curl_slist_append(hdrs, auth);
	if (!h) {
		r = -ENOMEM;
		goto cleanup_curl;
	}
	hdrs = h;
	h = curl_slist_append(hdrs, "Accept: application/json");
	if (h)
		hdrs = h;
	if (post_json) {
		h = curl_slist_append(hdrs, "Content-Type: application/json");
		if (h)
			hdrs = h;
		curl_easy_setopt(cu, CURLOPT_POSTFIELDS, post_json);
	}
	curl_easy_setopt(cu, CURLOPT_URL, url);
	curl_easy_setopt(cu, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(cu, CURLOPT_WRITEFUNCTION, lab_httpc_on_data);
	curl_easy_setopt(cu, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(cu, CURLOPT_CONNECTTIMEOUT, (long)CONNECT_TIMEOUT_S);
	curl_easy_setopt(cu, CURLOPT_TIMEOUT, timeout_s);
	curl_easy_setopt(cu, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(cu, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(cu, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(cu, CURLOPT_ACCEPT_ENCODING, "");
	c = curl_easy_perform(cu);
	if (c != CURLE_OK) {
		r = b->too_big ? -EFBIG : curl_errno(c);
		lab_lava_seterr(err, errlen, "%s: %s: %s", what, lab->url,
		       b->too_big ? "answer too large" : curl_easy_strerror(c));
		goto cleanup_hdrs;
	}
	curl_easy_getinfo(cu, CURLINFO_RESPONSE_CODE, &status);
	if (status < 200 || status > 299) {
		error_text(b, err, errlen, status, what);
		r = status == 400 ? -EINVAL : status == 401 || status == 403 ? -EACCES :
		    status == 404 ? -ENOENT : -EIO;
		goto cleanup_hdrs;
	}
	if (!b->data) {
		b->data = calloc(1, 1);
		if (!b->data)
			r = -ENOMEM;
	}
cleanup_hdrs:
	curl_slist_free_all(hdrs);
cleanup_curl:
	curl_easy_cleanup(cu);
	if (r) {
		free(b->data);
		memset(b, 0, sizeof(*b));
	}
	return r;
}

static int request_json(const struct lab_lava_lab *lab, const char *path, const char *post,
			json_t **out, char *err, size_t errlen, const char *what)
{
	struct lab_httpc_body b;
	json_error_t je;
	int r;

	*out = NULL;
	r = request(lab, path, post, REQUEST_TIMEOUT_S, &b, err, errlen, what);
	if (r)
		return r;
	*out = json_loadb(b.data, b.len, 0, &je);
	free(b.data);
	if (!*out || !json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		lab_lava_seterr(err, errlen, "%s: answer is not a JSON object (%s)", what, je.text);
		return -EBADMSG;
	}
	return 0;
}

static char *definition_body(const char *definition)
{
	json_t *j = json_pack("{s:s}", "definition", definition);
	char *s;

	if (!j)
		return NULL;
	s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	return s;
}

int lab_lava_validate(const struct lab_lava_lab *lab, const char *definition,
		      char *err, size_t errlen)
{
	char *body = definition_body(definition);
	const char *m;
	json_t *j;
	int r;

	if (!body)
		return -ENOMEM;
	r = request_json(lab, "/api/v0.2/jobs/validate/", body, &j, err, errlen, "validate");
	free(body);
	if (r)
		return r;
	m = json_string_value(json_object_get(j, "message"));
	if (!m) {
		lab_lava_seterr(err, errlen, "validate: answer without \"message\"");
		r = -EBADMSG;
	} else if (strcmp(m, "Job valid.")) {
		lab_lava_seterr(err, errlen, "validate: %s", m);
		r = -EINVAL;
	}
	json_decref(j);
	return r;
}

int lab_lava_submit(const struct lab_lava_lab *lab, const char *definition,
		    int64_t *job_id, char *err, size_t errlen)
{
	char *body = definition_body(definition);
	json_t *j, *ids;
	int r;

	if (!body)
		return -ENOMEM;
	r = request_json(lab, "/api/v0.2/jobs/", body, &j, err, errlen, "submit");
	free(body);
	if (r)
		return r;
	ids = json_object_get(j, "job_ids");
	if (!json_is_array(ids) || json_array_size(ids) != 1 ||
	    !json_is_integer(json_array_get(ids, 0)) ||
	    json_integer_value(json_array_get(ids, 0)) <= 0) {
		lab_lava_seterr(err, errlen, "submit: answer without one positive job id");
		r = -EBADMSG;
	} else {
		*job_id = json_integer_value(json_array_get(ids, 0));
	}
	json_decref(j);
	return r;
}

int lab_lava_job_status(const struct lab_lava_lab *lab, int64_t job_id,
			struct lab_lava_job_status *out, char *err, size_t errlen)
{
	const char *state, *health, *fc;
	char path[96];
	json_t *j;
	int r;

	memset(out, 0, sizeof(*out));
	snprintf(path, sizeof(path), "/api/v0.2/jobs/%lld/", (long long)job_id);
	r = request_json(lab, path, NULL, &j, err, errlen, "job status");
	if (r)
		return r;
	state = json_string_value(json_object_get(j, "state"));
	health = json_string_value(json_object_get(j, "health"));
	fc = json_string_value(json_object_get(j, "failure_comment"));
	if (!state || !health || strlen(state) >= sizeof(out->state) ||
	    lab_lava_health_parse(health, &out->health)) {
		lab_lava_seterr(err, errlen, "job status: answer without a known state/health");
		r = -EBADMSG;
		goto decref;
	}
	strcpy(out->state, state);
	out->finished = !strcmp(state, "Finished");
	if (fc)
		snprintf(out->failure, sizeof(out->failure), "%s", fc);
decref:
	json_decref(j);
	return r;
}

/* the id of suite @suite in job @job_id; -ENOENT when the job has none */
static int suite_id(const struct lab_lava_lab *lab, int64_t job_id, const char *suite,
		    int64_t *id, char *err, size_t errlen)
{
	char path[128];
	json_t *j, *res, *s;
	size_t i;
	int r;

	snprintf(path, sizeof(path), "/api/v0.2/jobs/%lld/suites/?limit=200", (long long)job_id);
	r = request_json(lab, path, NULL, &j, err, errlen, "suites");
	if (r)
		return r;
	res = json_object_get(j, "results");
	if (!json_is_array(res)) {
		lab_lava_seterr(err, errlen, "suites: answer without results");
		json_decref(j);
		return -EBADMSG;
	}
	r = -ENOENT;
	json_array_foreach(res, i, s) {
		const char *n = json_string_value(json_object_get(s, "name"));

		if (n && !strcmp(n, suite) && json_is_integer(json_object_get(s, "id"))) {
			*id = json_integer_value(json_object_get(s, "id"));
			r = 0;
			break;
		}
	}
	if (r)
		lab_lava_seterr(err, errlen, "suites: job %lld has no suite \"%s\"", (long long)job_id, suite);
	json_decref(j);
	return r;
}

int lab_lava_job_tests(const struct lab_lava_lab *lab, int64_t job_id,
		       const char *suite, json_t **out, char *err, size_t errlen)
{
	int64_t sid;
	json_t *all;
	int offset = 0;
	int r;

	*out = NULL;
	r = suite_id(lab, job_id, suite, &sid, err, errlen);
	if (r == -ENOENT) {
		*out = json_array();	/* no suite: no test case at all */
		return *out ? 0 : -ENOMEM;
	}
	if (r)
		return r;
	all = json_array();
	if (!all)
		return -ENOMEM;
	for (;;) {
		char path[160];
		json_t *j, *res, *t;
		size_t i;

		snprintf(path, sizeof(path), "/api/v0.2/jobs/%lld/suites/%lld/tests/?limit=500&offset=%d",
			 (long long)job_id, (long long)sid, offset);
		r = request_json(lab, path, NULL, &j, err, errlen, "tests");
		if (r)
			goto decref_all;
		res = json_object_get(j, "results");
		if (!json_is_array(res)) {
			json_decref(j);
			lab_lava_seterr(err, errlen, "tests: answer without results");
			r = -EBADMSG;
			goto decref_all;
		}
		json_array_foreach(res, i, t) {
			json_t *o = json_pack("{s:O?,s:O?,s:O?,s:O?}",
					      "name", json_object_get(t, "name"),
					      "result", json_object_get(t, "result"),
					      "measurement", json_object_get(t, "measurement"),
					      "unit", json_object_get(t, "unit"));

			if (!o || json_array_append_new(all, o)) {
				json_decref(j);
				r = -ENOMEM;
				goto decref_all;
			}
		}
		offset += (int)json_array_size(res);
		if (!json_is_string(json_object_get(j, "next")) || !json_array_size(res) ||
		    offset > 200000) {
			json_decref(j);
			break;
		}
		json_decref(j);
	}
	*out = all;
	return 0;
decref_all:
	json_decref(all);
	return r;
}

int lab_lava_job_log(const struct lab_lava_lab *lab, int64_t job_id,
		     char **out, size_t *len, char *err, size_t errlen)
{
	struct lab_httpc_body b;
	char path[96];
	int r;

	*out = NULL;
	snprintf(path, sizeof(path), "/api/v0.2/jobs/%lld/logs/", (long long)job_id);
	r = request(lab, path, NULL, LOG_TIMEOUT_S, &b, err, errlen, "log");
	if (r)
		return r;
	*out = b.data;
	*len = b.len;
	return 0;
}

int lab_lava_job_cancel(const struct lab_lava_lab *lab, int64_t job_id,
			char *err, size_t errlen)
{
	struct lab_httpc_body b;
	char path[96];
	int r;

	snprintf(path, sizeof(path), "/api/v0.2/jobs/%lld/cancel/", (long long)job_id);
	r = request(lab, path, NULL, REQUEST_TIMEOUT_S, &b, err, errlen, "cancel");
	if (!r)
		free(b.data);
	return r;
}
