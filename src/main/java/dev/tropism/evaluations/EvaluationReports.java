package dev.tropism.evaluations;

import dev.tropism.web.ApiException;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/** A completed evaluation's stored JSON report rendered as JUnit XML, Markdown or the curve PNG. */
@Component
class EvaluationReports {

    private final JsonMapper json;

    EvaluationReports(JsonMapper json) {
        this.json = json;
    }

    EvalReport of(Evaluation e) {
        return json.readValue(e.report(), EvalReport.class);
    }

    byte[] junit(Evaluation e, EvalSuite suite) {
        return JunitReport.render(of(e));
    }

    String markdown(Evaluation e, EvalSuite suite, String curveUrl) {
        EvalReport report = of(e);
        return MarkdownReport.render(report, report.candidate().overoptimization() == null ? null : curveUrl);
    }

    /** 404 {@code no_curve} when the suite has no prompts (nothing was probed). */
    byte[] curvePng(Evaluation e, EvalSuite suite) {
        EvalReport report = of(e);
        if (report.candidate().overoptimization() == null) {
            throw new ApiException(HttpStatus.NOT_FOUND, "no_curve", "Evaluation " + e.id() + " has no over-optimization"
                    + " curve: suite " + suite.name() + " v" + suite.version() + " has no prompts to probe.");
        }
        return CurveChart.png(report);
    }
}
