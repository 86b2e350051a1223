package dev.tropism.usage;

import dev.tropism.teams.Caller;
import dev.tropism.teams.RequiresScope;
import dev.tropism.teams.Scope;
import dev.tropism.web.ApiException;
import dev.tropism.web.Violation;
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
 * day and model. {@code to} defaults to today (UTC), {@code from} to 29 days before {@code to} (30
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

    UsageController(UsageStore store) {
        this.store = store;
    }

    /** One entry of the answer. */
    record Entry(String date, String model, long requests, long promptTokens, long completionTokens, long images) {
    }

    /** {@code {"object":"list","data":[...]}}. */
    record Usage(String object, List<Entry> data) {
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
        List<Entry> data = store.find(team, start, end, model).stream()
                .map(r -> new Entry(r.date().toString(), r.model(), r.requests(), r.promptTokens(),
                        r.completionTokens(), r.images()))
                .toList();
        return new Usage("list", data);
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
