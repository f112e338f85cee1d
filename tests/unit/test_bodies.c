/* SPDX-License-Identifier: GPL-2.0 */
/*
 * test_bodies.c - the request-body tables and their checker (server/bodies.c):
 * for each write route's table, bodies that pass and bodies refused at each
 * kind of step (not an object, unknown key, missing key, wrong type, range,
 * name rule, enum), with the reason in the message.
 */
#include "bodies.h"
#include "helpers.h"

struct body_case {
	const struct lab_body_field *table;
	const char *json;
	const char *want;	/* NULL: passes; else a part of the message */
};

static void test_bodies(void **state)
{
	static const struct body_case cases[] = {
		{ lab_body_kernel, "{\"name\": \"6.12\", \"release\": \"6.12.117+deb12-amd64\", "
		  "\"arch\": \"x86_64\", \"source\": \"debian\", \"version\": null}", NULL },
		{ lab_body_kernel, "[]", "must be a JSON object" },
		{ lab_body_kernel, "{\"name\": \"k\", \"image\": \"/x\"}",
		  "unknown key \"image\" (allowed: name, release, version, arch, source, "
		  "source_ref, sha256)" },
		{ lab_body_kernel, "{\"release\": \"6.1.0-56-amd64\"}", "\"name\" is required" },
		{ lab_body_kernel, "{\"name\": 5}", "\"name\" must be a string" },
		{ lab_body_kernel, "{\"name\": \"-rf\"}", "kernel name '-rf' refused" },
		{ lab_body_kernel, "{\"name\": \"..\"}", "kernel name '..' refused" },
		{ lab_body_kernel, "{\"name\": \"k\\u0000x\"}", "must be a string" },
		{ lab_body_kernel, "{\"name\": \"k\", \"release\": \"$(touch /tmp/pwned)\"}",
		  "kernel release '$(touch /tmp/pwned)' refused" },
		{ lab_body_kernel, "{\"name\": \"k\", \"arch\": \"mips\"}",
		  "\"arch\" must be one of x86_64,arm64,s390x" },
		{ lab_body_kernel, "{\"name\": \"k\", \"sha256\": \"zz\"}", "sha256 'zz' refused" },
		{ lab_body_catalogue, "{\"v\": 1, \"cases\": []}", NULL },
		{ lab_body_catalogue, "{\"cases\": [], \"extra\": 1}", "unknown key \"extra\"" },
		{ lab_body_case, "{\"id\": \"kmod.attach.one\", \"contracts\": [], "
		  "\"expect_reused\": null, \"needs\": [\"vfio\"], \"description\": \"x\"}", NULL },
		{ lab_body_case, "{\"id\": \"kmod.attach.one\", \"title\": 5}",
		  "\"title\" must be a string" },
		{ lab_body_case, "{\"id\": \"BAD ID\"}", "case id 'BAD ID' refused" },
		{ lab_body_plan, "{\"kind\": \"manual\", \"kernels\": [\"6.1\"], "
		  "\"targets\": [\"q35-vtd\", \"arch=arm64\", \"*\", \"all\"], \"cases\": \"kmod.*\", "
		  "\"repeat\": 3, \"priority\": -5, \"timeout_s\": null}", NULL },
		{ lab_body_plan, "{\"kind\": \"weekly\", \"kernels\": [\"6.1\"]}",
		  "\"kind\" must be one of manual,nightly,patch" },
		{ lab_body_plan, "{\"kind\": \"manual\", \"kernels\": []}",
		  "\"kernels\" must be an array of 1-64 strings" },
		{ lab_body_plan, "{\"kind\": \"manual\", \"kernels\": [\"6.1\", \"-rf\"]}",
		  "\"kernels\"[1]: kernel name '-rf' refused" },
		{ lab_body_plan, "{\"kind\": \"manual\", \"kernels\": [\"6.1\", 7]}",
		  "\"kernels\"[1] must be a string" },
		{ lab_body_plan, "{\"kind\": \"manual\", \"kernels\": [\"6.1\"], \"targets\": [\"../x\"]}",
		  "target name '../x' refused" },
		{ lab_body_plan, "{\"kind\": \"manual\", \"kernels\": [\"6.1\"], \"repeat\": \"2\"}",
		  "\"repeat\" must be an integer 1..1000" },
		{ lab_body_plan, "{\"kind\": \"manual\", \"kernels\": [\"6.1\"], \"repeat\": 0}",
		  "\"repeat\" must be an integer 1..1000" },
		{ lab_body_plan, "{\"kind\": \"manual\", \"kernels\": [\"6.1\"], \"cases\": \"$(id)\"}",
		  "case filter '$(id)' refused" },
		{ lab_body_plan, "{\"kind\": \"manual\", \"kernels\": [\"6.1\"], \"patch\": {}}",
		  "unknown key \"patch\"" },
		{ lab_body_token, "{\"name\": \"runner\", \"scopes\": \"ingest\"}", NULL },
		{ lab_body_token, "{\"name\": \"runner\", \"scopes\": \"root\"}",
		  "\"scopes\" must be one of admin,ingest" },
		{ lab_body_token, "{\"name\": \"runner\", \"scopes\": [\"ingest\"]}",
		  "\"scopes\" must be one of" },
		{ lab_body_token, "{\"name\": \"..\", \"scopes\": \"ingest\"}", "token name '..' refused" },
		{ lab_body_job_action, "{}", NULL },
		{ lab_body_job_action, "{\"reason\": \"flaky board\"}", NULL },
		{ lab_body_job_action, "[]", "must be a JSON object" },
		{ lab_body_job_action, "{\"why\": \"x\"}", "unknown key \"why\" (allowed: reason)" },
		{ lab_body_job_action, "{\"reason\": 5}", "\"reason\" must be a string" },
		{ lab_body_job_action, "{\"reason\": \"a\\u001b[31m\"}", "text 'a?[31m' refused" },
		{ lab_body_patch, "{\"base\": \"/srv/linux\", \"series\": \"--- a/x\\n\", "
		  "\"targets\": [\"q35-vtd\"], \"repeat\": 1}", NULL },
		{ lab_body_patch, "{\"base\": \"/srv/linux\", \"series\": [{\"name\": \"a\", "
		  "\"text\": \"b\"}]}", NULL },
		{ lab_body_patch, "{\"base\": \"/srv/linux\", \"series\": 5}", "\"series\" must be a text" },
		{ lab_body_patch, "{\"base\": \"/srv/linux\", \"series\": \"x\", \"timeout_s\": \"60\"}",
		  "\"timeout_s\" must be an integer 10..86400" },
		{ lab_body_patch, "{\"base\": \"/srv/linux\", \"series\": \"x\", \"kernel\": \"6.1\"}",
		  "unknown key \"kernel\"" },
		{ lab_body_patch, "{\"series\": \"x\"}", "\"base\" is required" },
	};
	char err[600];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_error_t je;
		json_t *j = json_loads(cases[i].json, JSON_ALLOW_NUL, &je);
		int r;

		if (!j)
			fail_msg("case %zu: bad JSON in the test: %s", i, je.text);
		err[0] = '\0';
		r = lab_body_check(j, cases[i].table, "body", err, sizeof(err));
		json_decref(j);
		if (!cases[i].want && r)
			fail_msg("case %zu %s: refused: %s", i, cases[i].json, err);
		if (cases[i].want && (r != -EINVAL || !strstr(err, cases[i].want)))
			fail_msg("case %zu %s: %d '%s', want -EINVAL with '%s'", i, cases[i].json, r,
				 err, cases[i].want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bodies),
	};
	return cmocka_run_group_tests_name("bodies", tests, NULL, NULL);
}
