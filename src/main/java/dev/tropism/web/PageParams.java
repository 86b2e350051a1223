package dev.tropism.web;

import java.util.List;
import java.util.function.Function;
import org.springframework.http.HttpStatus;

/**
 * Cursor pagination of list endpoints: {@code limit} 1..100 (default 20) and {@code after}, the id of
 * the last item already seen. Items are ordered by creation, oldest first.
 */
public record PageParams(int limit, String after) {

    public static final int DEFAULT_LIMIT = 20;
    public static final int MAX_LIMIT = 100;

    /** Validates raw query parameters (either may be null); a bad limit answers 400 {@code invalid_parameter}. */
    public static PageParams of(Integer limit, String after) {
        int l = limit == null ? DEFAULT_LIMIT : limit;
        if (l < 1 || l > MAX_LIMIT) {
            throw new ApiException(HttpStatus.BAD_REQUEST, "invalid_parameter",
                    "limit must be between 1 and " + MAX_LIMIT + ", got " + l + ".",
                    List.of(new Violation("/limit", "must be between 1 and " + MAX_LIMIT)));
        }
        return new PageParams(l, after == null || after.isBlank() ? null : after);
    }

    /** How many rows to fetch: one more than {@link #limit()}, to learn whether more exist. */
    public int fetchSize() {
        return limit + 1;
    }

    /** 400 {@code invalid_parameter}: the {@code after} cursor names nothing this caller can see. */
    public ApiException unknownCursor() {
        return new ApiException(HttpStatus.BAD_REQUEST, "invalid_parameter",
                "after: no item with id '" + after + "'.", List.of(new Violation("/after", "unknown id")));
    }

    /** The list response from rows fetched with {@link #fetchSize()}. */
    public <E, T> ListResponse<T> toResponse(List<E> rows, Function<E, T> mapper) {
        boolean more = rows.size() > limit;
        List<E> page = more ? rows.subList(0, limit) : rows;
        return ListResponse.of(page.stream().map(mapper).toList(), more);
    }
}
