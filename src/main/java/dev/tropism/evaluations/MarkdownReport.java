package dev.tropism.evaluations;

import java.util.List;
import java.util.Map;

/**
 * An evaluation report as GitHub-flavoured Markdown for a pull-request comment
 * ({@code GET /v1/evaluations/{id}/report?format=markdown}): the verdict line (✅ passed / ❌ failed), the checks,
 * the candidate's metrics beside the baseline's with the deltas, the best-of-N over-optimization curve as a table,
 * and the curve image ({@code …/report/curve.png}) when a URL is given. Table cells escape {@code |} and fold line
 * breaks, so a detail cannot break the table.
 */
public final class MarkdownReport {

    private MarkdownReport() {
    }

    /**
     * The report as Markdown.
     *
     * @param curveUrl the absolute URL of the curve image, or null to leave the image out (as it is when the
     *     candidate has no over-optimization probe)
     */
    public static String render(EvalReport report, String curveUrl) {
        StringBuilder md = new StringBuilder();
        boolean passed = report.verdict() == EvalReport.Verdict.PASSED;
        int failed = report.failedChecks().size();
        md.append("### ").append(passed ? "✅ Evaluation passed" : "❌ Evaluation failed").append(": suite `")
                .append(report.suite().name()).append("` v").append(report.suite().version()).append("\n\n");
        md.append("Evaluation `").append(report.evaluation()).append("`: ")
                .append(report.checks().size() - failed).append(" of ").append(report.checks().size())
                .append(" checks passed");
        if (failed > 0) {
            md.append("; failed: ").append(String.join(", ",
                    report.failedChecks().stream().map(c -> "`" + c.name() + "`").toList()));
        }
        md.append(".\n\n");

        if (!report.checks().isEmpty()) {
            md.append("| Check | Threshold | Value | Result | Detail |\n|---|---:|---:|:---:|---|\n");
            for (ThresholdCheck c : report.checks()) {
                row(md, "`" + c.name() + "`", Numbers.format(c.threshold()), Numbers.format(c.value()),
                        c.passed() ? "✅" : "❌", c.detail());
            }
            md.append('\n');
        }

        EvalMetrics baseline = report.baseline();
        md.append("#### Metrics\n\n");
        if (baseline == null) {
            md.append("| Metric | Candidate |\n|---|---:|\n");
        } else {
            md.append("| Metric | Candidate | Baseline | Δ |\n|---|---:|---:|---:|\n");
        }
        for (EvalMetrics.Metric m : EvalMetrics.Metric.values()) {
            Double c = m.of(report.candidate());
            Double b = m.of(baseline);
            if (c == null && b == null) {
                continue;
            }
            String name = "`" + m.key() + "` (" + (m.higherIsBetter() ? "higher" : "lower") + " is better)";
            if (baseline == null) {
                row(md, name, Numbers.format(c));
            } else {
                row(md, name, Numbers.format(c), Numbers.format(b), Numbers.signed(report.deltas().get(m.key())));
            }
        }
        md.append('\n');
        errors(md, "candidate", report.candidate().errors());
        if (baseline != null) {
            errors(md, "baseline", baseline.errors());
        }

        EvalMetrics.Overoptimization o = report.candidate().overoptimization();
        if (o != null) {
            EvalMetrics.Overoptimization bo = baseline == null ? null : baseline.overoptimization();
            md.append("#### Best-of-N over-optimization probe\n\n");
            md.append("Expected score of the sample the candidate picks as the best of N. Gold peaks at N=")
                    .append(o.goldPeakN()).append(" and drops by ").append(Numbers.format(o.drop()))
                    .append(" to N=").append(o.maxN()).append("; proxy−gold gap ")
                    .append(Numbers.format(o.proxyGoldGap())).append(" sd.\n\n");
            md.append(bo == null ? "| N | Proxy | Gold |\n|---:|---:|---:|\n"
                    : "| N | Proxy | Gold | Baseline gold |\n|---:|---:|---:|---:|\n");
            for (int k = 0; k < o.n().size(); k++) {
                int n = o.n().get(k);
                String proxy = Numbers.format(o.proxy().get(k));
                String gold = Numbers.format(o.gold().get(k)) + (n == o.goldPeakN() ? " (peak)" : "");
                if (bo == null) {
                    row(md, Integer.toString(n), proxy, gold);
                } else {
                    int i = bo.n().indexOf(n);
                    row(md, Integer.toString(n), proxy, gold, i < 0 ? "n/a" : Numbers.format(bo.gold().get(i)));
                }
            }
            md.append('\n');
            if (curveUrl != null) {
                md.append("![Best-of-N over-optimization curve](").append(curveUrl).append(")\n");
            }
        }
        return md.toString();
    }

    private static void errors(StringBuilder md, String who, Map<String, Integer> errors) {
        if (!errors.isEmpty()) {
            md.append("Scoring errors of the ").append(who).append(": ").append(String.join(", ", errors.entrySet()
                    .stream().map(e -> "`" + e.getKey() + "` × " + e.getValue()).toList())).append(".\n\n");
        }
    }

    private static void row(StringBuilder md, String... cells) {
        md.append('|');
        for (String cell : List.of(cells)) {
            md.append(' ').append(cell.replace("\\", "\\\\").replace("|", "\\|").replaceAll("\\R", " ")).append(" |");
        }
        md.append('\n');
    }
}
