package dev.tropism.evaluations;

import dev.tropism.rewards.SecretSealer;
import dev.tropism.web.ApiException;
import java.time.Instant;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/**
 * A completed evaluation's stored JSON report rendered as JUnit XML, Markdown or the curve PNG; and the shareable
 * link to the curve that the Markdown embeds. A pull-request comment cannot send the API key, so the link carries a
 * token instead: "curve of this evaluation until this time", sealed with the service's secrets key (AES-GCM, so it can
 * be neither forged nor altered). It shows that one image and nothing else.
 */
@Component
class EvaluationReports {

    private static final String TOKEN_PURPOSE = "evaluation-curve";

    private final JsonMapper json;
    private final SecretSealer sealer;
    private final EvaluationProperties properties;

    EvaluationReports(JsonMapper json, SecretSealer sealer, EvaluationProperties properties) {
        this.json = json;
        this.sealer = sealer;
        this.properties = properties;
    }

    /** The path and query of the shareable curve link of {@code evaluationId}, valid for {@code shared-link-ttl}. */
    String sharedCurvePath(String evaluationId) {
        long expires = Instant.now().plus(properties.sharedLinkTtl()).getEpochSecond();
        String sealed = sealer.encrypt(TOKEN_PURPOSE + "|" + evaluationId + "|" + expires);
        return "/shared/evaluations/" + evaluationId + "/curve.png?token=" + urlSafe(sealed);
    }

    /**
     * The sealed value's base64 made URL-safe (RFC 4648 §5, no padding), so that the link survives any client that
     * encodes a query again; {@link #sealedOf} undoes it.
     */
    private static String urlSafe(String sealed) {
        return sealed.replace('+', '-').replace('/', '_').replace("=", "");
    }

    private static String sealedOf(String token) {
        String standard = token.replace('-', '+').replace('_', '/');
        int body = standard.length() - standard.indexOf(':') - 1;
        return standard + "=".repeat((4 - body % 4) % 4);
    }

    /** Whether {@code token} was issued for {@code evaluationId} and has not expired. */
    boolean validToken(String evaluationId, String token) {
        if (token == null || token.isBlank()) {
            return false;
        }
        String[] parts;
        try {
            parts = sealer.decrypt(sealedOf(token)).split("\\|");
        } catch (IllegalArgumentException e) {
            return false;
        }
        return parts.length == 3 && parts[0].equals(TOKEN_PURPOSE) && parts[1].equals(evaluationId)
                && parts[2].matches("\\d{1,12}") && Long.parseLong(parts[2]) >= Instant.now().getEpochSecond();
    }

    EvalReport of(Evaluation e) {
        return json.readValue(e.report(), EvalReport.class);
    }

    byte[] junit(Evaluation e, EvalSuite suite) {
        return JunitReport.render(of(e));
    }

    /**
     * The Markdown report; its image is the keyless curve link, followed by the API's own
     * {@code …/report/curve.png} for readers who hold a key.
     *
     * @param baseUrl the service's base URL as the caller reached it
     */
    String markdown(Evaluation e, EvalSuite suite, String baseUrl) {
        EvalReport report = of(e);
        if (report.candidate().overoptimization() == null) {
            return MarkdownReport.render(report, null);
        }
        return MarkdownReport.render(report, baseUrl + sharedCurvePath(e.id())).stripTrailing() + "\n\nThe curve with an API key: "
                + baseUrl + "/v1/evaluations/" + e.id() + "/report/curve.png\n";
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
