package dev.tropism.ui;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.tropism.support.TropismIntegrationTest;
import dev.tropism.support.TropismTestClient;
import dev.tropism.support.TropismTestClient.ApiResponse;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.TestPropertySource;

/**
 * The web UI in real headless Chromium against the whole service on PostgreSQL: runs
 * {@code frontend/e2e/run.mjs} (sign in, a dataset's line error, a reward spec tried, a GRPO job watched
 * live and cancelled, the playground with two models; then the flow-matching path: a tiny-flow model pretrained
 * from the Models page, flow_grpo launched on it, its image grids in the gallery, and base and aligned images side
 * by side in the playground; then a HuggingFace model imported from the Models page: a zip without config.json
 * refused at the file field, a tiny gpt2 archive uploaded with its progress bar until ready, and its model card; then
 * that model aligned with GRPO under LoRA from its "Align…" link, the aligned model beside it in the playground, and
 * its HuggingFace export downloaded as a tar; then evaluations: a suite made in the Suites tab's form, a passing and
 * a failing reward spec evaluated from the "Run evaluation" form with their verdicts, checks and JUnit report, and the
 * alias {@code lengths@production} moved with {@code require_passing_suite}, accepted for the passing spec and refused
 * (409) for the failing one; then governance: the Team page signed in with a team:admin key (budget, spend by job), a
 * CI key with only evaluations:write created and revoked there, and a job's Spend card) and saves a screenshot of
 * every page under
 * {@code target/e2e-screenshots}. Under CI ({@code CI=true}) a missing Chromium or an unbuilt UI fails;
 * locally they skip the browser test.
 */
@TropismIntegrationTest
@TestPropertySource(properties = {"tropism.jobs.checkpoint-interval=2", "tropism.jobs.poll-interval=100ms"})
class WebUiEndToEndTest {

    private static final Path FRONTEND = Path.of("frontend").toAbsolutePath();
    private static final Path SCREENSHOTS = Path.of("target", "e2e-screenshots").toAbsolutePath();
    private static final boolean CI = "true".equalsIgnoreCase(System.getenv("CI"));

    @Autowired TropismTestClient api;

    @Test
    void clientRoutesServeTheAppWhileApiPathsStayTheApis() {
        requireBuiltUi();
        ApiResponse route = api.anonymous().get("/jobs/job_0000000000000000");
        assertThat(route.status()).isEqualTo(200);
        assertThat(route.text()).contains("<div id=\"root\">");
        assertThat(api.anonymous().get("/").text()).contains("<div id=\"root\">");
        assertThat(api.anonymous().get("/reward-specs").text()).contains("<div id=\"root\">");
        for (String clientRoute : List.of("/compare", "/workers", "/evaluations", "/evaluations/eval_0000000000000000",
                "/evaluations/suites", "/evaluations/suites/suite_0000000000000000", "/evaluations/aliases", "/team")) {
            assertThat(api.anonymous().get(clientRoute).text()).as(clientRoute).contains("<div id=\"root\">");
        }
        // only the UI's routes: any other page is still a 404 problem
        assertThat(api.anonymous().get("/no-such-page").status()).isEqualTo(404);
        // the API keeps its own answers
        assertThat(api.anonymous().get("/v1/jobs").status()).isEqualTo(401);
        ApiResponse unknown = api.admin().get("/v1/no-such-endpoint");
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.contentType().toString()).contains("problem+json");
        assertThat(api.anonymous().get("/v3/api-docs").text()).contains("/v1/methods");
        assertThat(api.anonymous().get("/actuator/prometheus").status()).isEqualTo(401);
        assertThat(api.anonymous().get("/assets/no-such-file.js").status()).isEqualTo(404);
    }

    @Test
    void theWholeFlowInHeadlessChromium() throws Exception {
        Path chromium = Path.of(System.getenv().getOrDefault("CHROMIUM", "/usr/bin/chromium"));
        if (!Files.isExecutable(chromium)) {
            if (CI) {
                fail(chromium + " is missing: .ci/run installs Debian's chromium package");
            }
            Assumptions.abort(chromium + " is missing (apt-get install chromium); the browser test is skipped locally");
        }
        requireBuiltUi();
        assertThat(FRONTEND.resolve("node_modules/playwright-core")).as("npm ci in frontend/").isDirectory();

        Process node = new ProcessBuilder("node", "e2e/run.mjs", api.baseUrl(), TropismTestClient.ADMIN_KEY,
                SCREENSHOTS.toString()).directory(FRONTEND.toFile()).redirectErrorStream(true).start();
        StringBuilder output = new StringBuilder();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(node.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                System.out.println(line);
                output.append(line).append('\n');
            }
        }
        boolean exited = node.waitFor(9, TimeUnit.MINUTES);
        if (!exited) {
            node.destroyForcibly();
        }
        assertThat(exited && node.exitValue() == 0).as("e2e/run.mjs failed:%n%s", output).isTrue();
        assertThat(output).contains("e2e: all 11 steps passed");
        assertThat(SCREENSHOTS.resolve("05-job-detail-live.png")).isRegularFile();
        assertThat(SCREENSHOTS.resolve("11-flow-job-gallery.png")).isRegularFile();
        assertThat(SCREENSHOTS.resolve("14-import-model-card.png")).isRegularFile();
        assertThat(SCREENSHOTS.resolve("15-lora-job.png")).isRegularFile();
        assertThat(SCREENSHOTS.resolve("17-export.png")).isRegularFile();
        assertThat(SCREENSHOTS.resolve("20-eval-failed.png")).isRegularFile();
        assertThat(SCREENSHOTS.resolve("23-alias-refused.png")).isRegularFile();
    }

    /** The UI is built into the classpath by the Maven build; -Dskip.frontend leaves it out. */
    private void requireBuiltUi() {
        if (getClass().getResource("/static/index.html") == null) {
            if (CI) {
                fail("The web UI was not built into classpath:/static (run the Maven build without -Dskip.frontend)");
            }
            Assumptions.abort("The web UI is not built (-Dskip.frontend); skipped locally");
        }
    }
}
