package dev.tropism.evaluations;

import dev.tropism.web.ApiException;
import java.time.Duration;
import org.springframework.http.CacheControl;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code /shared/evaluations/{id}/curve.png?token=…}: the over-optimization curve of a completed evaluation without
 * the API key, for the image link of its Markdown report (a pull-request comment cannot send a key). Only a token
 * issued for that evaluation and not yet expired opens it; anything else is the same 404, so a guess learns nothing.
 */
@RestController
class SharedCurveController {

    private final EvaluationStore store;
    private final EvalSuiteStore suites;
    private final EvaluationReports reports;

    SharedCurveController(EvaluationStore store, EvalSuiteStore suites, EvaluationReports reports) {
        this.store = store;
        this.suites = suites;
        this.reports = reports;
    }

    @GetMapping(value = "/shared/evaluations/{id}/curve.png", produces = MediaType.IMAGE_PNG_VALUE)
    ResponseEntity<byte[]> curve(@PathVariable String id, @RequestParam(required = false) String token) {
        Evaluation e = store.find(id).filter(x -> x.status() == EvaluationStatus.COMPLETED)
                .filter(x -> reports.validToken(id, token))
                .orElseThrow(() -> ApiException.notFound("shared evaluation curve", id));
        return ResponseEntity.ok().contentType(MediaType.IMAGE_PNG)
                .cacheControl(CacheControl.maxAge(Duration.ofHours(1)).cachePrivate())
                .body(reports.curvePng(e, suites.find(e.suiteId()).orElseThrow()));
    }
}
