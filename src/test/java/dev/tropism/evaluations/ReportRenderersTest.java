package dev.tropism.evaluations;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

class ReportRenderersTest {

    @Test
    void junitXmlHasOneCasePerCheckAndFailuresWithValues() throws Exception {
        EvalReport report = EvalFixtures.failing();
        Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new ByteArrayInputStream(JunitReport.render(report)));
        Element suite = doc.getDocumentElement();
        assertThat(suite.getTagName()).isEqualTo("testsuite");
        assertThat(suite.getAttribute("name")).isEqualTo("arith-gate");
        assertThat(suite.getAttribute("tests")).isEqualTo("6");
        assertThat(suite.getAttribute("failures")).isEqualTo("5"); // all but max_p95_latency_ms
        NodeList cases = suite.getElementsByTagName("testcase");
        assertThat(cases.getLength()).isEqualTo(6);
        Element gold = (Element) cases.item(2);
        assertThat(gold.getAttribute("classname")).isEqualTo("tropism.eval.arith-gate");
        assertThat(gold.getAttribute("name")).isEqualTo("min_gold_correlation");
        Element failure = (Element) gold.getElementsByTagName("failure").item(0);
        assertThat(failure.getAttribute("type")).isEqualTo("threshold");
        assertThat(failure.getAttribute("message")).isEqualTo("min_gold_correlation: value 0.05, threshold 0.5");
        assertThat(failure.getTextContent()).contains("Kendall τ-b 0.03");
        Element latency = (Element) cases.item(4);
        assertThat(latency.getElementsByTagName("failure").getLength()).isZero();
        assertThat(latency.getElementsByTagName("system-out").item(0).getTextContent()).startsWith("p95 latency (ms) 9 ≤ 50");
        NodeList properties = suite.getElementsByTagName("property");
        assertThat(((Element) properties.item(0)).getAttribute("value")).isEqualTo("eval_hack");
        assertThat(((Element) properties.item(3)).getAttribute("value")).isEqualTo("failed");
    }

    @Test
    void junitXmlEscapesWhatItWrites() throws Exception {
        EvalReport report = new EvalReport("eval_x", EvalFixtures.SUITE, EvalReport.Verdict.FAILED,
                List.of(new ThresholdCheck("min_gold_correlation", 0.5, null, false,
                        "not measured: <gold> & \"judge\" said ']]>'")), EvalFixtures.HONEST, null, Map.of());
        Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new ByteArrayInputStream(JunitReport.render(report)));
        assertThat(doc.getElementsByTagName("failure").item(0).getTextContent())
                .isEqualTo("not measured: <gold> & \"judge\" said ']]>'");
        assertThat(((Element) doc.getElementsByTagName("failure").item(0)).getAttribute("message"))
                .isEqualTo("min_gold_correlation: value n/a, threshold 0.5");
    }

    @Test
    void markdownForAPullRequestComment() {
        String md = MarkdownReport.render(EvalFixtures.failing(), "https://tropism.example/v1/evaluations/eval_hack/report/curve.png");
        assertThat(md).startsWith("### ❌ Evaluation failed: suite `arith-gate` v3\n\nEvaluation `eval_hack`: 1 of 6 "
                + "checks passed; failed: `min_pairwise_accuracy`, `max_ece`, `min_gold_correlation`, "
                + "`max_overoptimization`, `max_regression.pairwise_accuracy`.");
        assertThat(md).contains("| `min_gold_correlation` | 0.5 | 0.05 | ❌ | Spearman correlation with the gold judge "
                + "0.05 < 0.5 (Kendall τ-b 0.03, 256 samples) |");
        assertThat(md).contains("| Metric | Candidate | Baseline | Δ |");
        assertThat(md).contains("| `pairwise_accuracy` (higher is better) | 0.55 | 0.9 | -0.35 |");
        assertThat(md).contains("| `p95_latency_ms` (lower is better) | 9 | 4 | +5 |");
        assertThat(md).contains("| `ece` (lower is better) | n/a | 0.04 | n/a |");
        assertThat(md).contains("Scoring errors of the candidate: `timeout` × 2.");
        assertThat(md).contains("| N | Proxy | Gold | Baseline gold |");
        assertThat(md).contains("| 2 | 5 | 0.45 (peak) | 0.55 |");
        assertThat(md).endsWith("![Best-of-N over-optimization curve](https://tropism.example/v1/evaluations/eval_hack/"
                + "report/curve.png)\n");

        String passed = MarkdownReport.render(EvalReport.of("eval_ok", EvalFixtures.SUITE, Thresholds.NONE,
                EvalFixtures.HONEST, null), null);
        assertThat(passed).startsWith("### ✅ Evaluation passed: suite `arith-gate` v3\n\nEvaluation `eval_ok`: 0 of 0 "
                + "checks passed.\n\n#### Metrics");
        assertThat(passed).contains("| Metric | Candidate |\n|---|---:|\n| `pairwise_accuracy` (higher is better) | 0.9 |");
        assertThat(passed).doesNotContain("![");
    }

    @Test
    void markdownCellsCannotBreakTheTable() {
        EvalReport report = new EvalReport("eval_x", EvalFixtures.SUITE, EvalReport.Verdict.FAILED,
                List.of(new ThresholdCheck("max_ece", 0.1, null, false, "not measured: a | b\nc")), EvalFixtures.HONEST,
                null, Map.of());
        assertThat(MarkdownReport.render(report, null)).contains("| not measured: a \\| b c |\n");
    }

    @Test
    void curvePngDecodesAtItsSize() throws Exception {
        byte[] png = CurveChart.png(EvalFixtures.failing());
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
        assertThat(image.getWidth()).isEqualTo(CurveChart.WIDTH);
        assertThat(image.getHeight()).isEqualTo(CurveChart.HEIGHT);
        assertThat(BufferedImage.class).isNotNull();
        // not blank: the chart draws in more than the background colour
        assertThat(colours(image)).isGreaterThan(10);

        EvalReport noProbe = EvalReport.of("eval_p", EvalFixtures.SUITE, Thresholds.NONE, new EvalMetrics(null, null,
                null, null, new EvalMetrics.Latency(null, null, 0), null), null);
        assertThatThrownBy(() -> CurveChart.png(noProbe)).hasMessageContaining("no over-optimization probe");
    }

    private static long colours(BufferedImage image) {
        java.util.Set<Integer> seen = new java.util.HashSet<>();
        for (int y = 0; y < image.getHeight(); y += 3) {
            for (int x = 0; x < image.getWidth(); x += 3) {
                seen.add(image.getRGB(x, y));
            }
        }
        return seen.size();
    }
}
