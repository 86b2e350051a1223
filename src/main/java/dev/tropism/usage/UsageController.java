package dev.tropism.usage;

import dev.tropism.billing.Pricing;
import dev.tropism.billing.Spend;
import dev.tropism.teams.Caller;
import dev.tropism.teams.RequiresScope;
import dev.tropism.teams.Scope;
import dev.tropism.web.ApiException;
import dev.tropism.web.Violation;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code GET /v1/usage?from=YYYY-MM-DD&to=YYYY-MM-DD&model=}: the caller's team's serving usage per UTC
 * day and model ({@code data}, each entry priced at {@code tropism.pricing}'s token and image prices in
 * {@code spend}), its training spend per UTC day, model and job ({@code training}, from the spend ledger), and the
 * {@code totals} of both. {@code to} defaults to today (UTC), {@code from} to 29 days before {@code to} (30
 * days); both are inclusive, and the range spans at most {@value #MAX_DAYS} days. Bad parameters answer
 * 400 {@code invalid_parameter} with every violation.
 */
@RestController
@RequiresScope(Scope.USAGE_READ)
class UsageController {

    static final int MAX_DAYS = 366;
    private static final int DEFAULT_DAYS = 30;
    private static final int MAX_MODEL_LENGTH = 40;

    private final UsageStore store;
    private final Spend spend;

    UsageController(UsageStore store, Spend spend) {
        this.store = store;
        this.spend = spend;
    }

    /** One entry of serving usage, with what it cost. */
    record Entry(String date, String model, long requests, long promptTokens, long completionTokens, long images,
            BigDecimal spend) {
    }

    /** One job's training on one UTC day: the device time its launches held and what it cost. */
    record TrainingEntry(String date, String model, String job, double deviceSeconds, BigDecimal spend) {
    }

    /** The sums of {@code data[].spend} and {@code training[].spend}. */
    record Totals(BigDecimal servingSpend, BigDecimal trainingSpend, String currency) {
    }

    /** {@code {"object":"list","data":[...],"training":[...],"totals":{...}}}. */
    record Usage(String object, List<Entry> data, List<TrainingEntry> training, Totals totals) {
    }

    @GetMapping("/v1/usage")
    Usage usage(Caller caller, @RequestParam(required = false) String from, @RequestParam(required = false) String to,
            @RequestParam(required = false) String model) {
        String team = caller.requireTeam();
        List<Violation> violations = new ArrayList<>();
        LocalDate end = date(to, "/to", violations);
        LocalDate start = date(from, "/from", violations);
        if (model != null && (model.isBlank() || model.length() > MAX_MODEL_LENGTH)) {
            violations.add(new Violation("/model", "must be a model id of 1 to " + MAX_MODEL_LENGTH + " characters"));
        }
        if (violations.isEmpty()) {
            if (end == null) {
                end = LocalDate.now(ZoneOffset.UTC);
            }
            if (start == null) {
                start = end.minusDays(DEFAULT_DAYS - 1);
            }
            if (start.isAfter(end)) {
                violations.add(new Violation("/from", "must not be after to (" + end + ")"));
            } else if (ChronoUnit.DAYS.between(start, end) >= MAX_DAYS) {
                violations.add(new Violation("/to", "must be at most " + MAX_DAYS + " days after from"));
            }
        }
        if (!violations.isEmpty()) {
            Violation v = violations.get(0);
            throw new ApiException(HttpStatus.BAD_REQUEST, "invalid_parameter", v.pointer().substring(1) + " "
                    + v.reason() + (violations.size() > 1 ? " (and more)" : "") + ".", violations);
        }
        Pricing pricing = spend.pricing();
        List<Entry> data = store.find(team, start, end, model).stream()
                .map(r -> new Entry(r.date().toString(), r.model(), r.requests(), r.promptTokens(),
                        r.completionTokens(), r.images(), pricing.serving(r.promptTokens(), r.completionTokens(),
                        r.images())))
                .toList();
        List<TrainingEntry> training = spend.training(team, start, end, model).stream()
                .map(t -> new TrainingEntry(t.date().toString(), t.model(), t.job(), t.deviceSeconds(), t.spend()))
                .toList();
        BigDecimal zero = BigDecimal.ZERO.setScale(Pricing.SCALE);
        return new Usage("list", data, training, new Totals(
                data.stream().map(Entry::spend).reduce(zero, BigDecimal::add),
                training.stream().map(TrainingEntry::spend).reduce(zero, BigDecimal::add), pricing.currency()));
    }

    private static LocalDate date(String value, String pointer, List<Violation> violations) {
        if (value == null) {
            return null;
        }
        try {
            if (value.length() != 10) {
                throw new DateTimeParseException("length", value, 0);
            }
            return LocalDate.parse(value);
        } catch (DateTimeParseException e) {
            violations.add(new Violation(pointer, "must be a date YYYY-MM-DD, got '" + abbreviate(value) + "'"));
            return null;
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 20 ? s : s.substring(0, 20) + "...";
    }
}
