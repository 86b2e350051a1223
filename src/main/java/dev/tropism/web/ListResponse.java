package dev.tropism.web;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/** Every list endpoint answers {@code {"object":"list","data":[...],"has_more":bool}}. */
public record ListResponse<T>(String object, List<T> data, @JsonProperty("has_more") boolean hasMore) {

    public static <T> ListResponse<T> of(List<T> data, boolean hasMore) {
        return new ListResponse<>("list", data, hasMore);
    }
}
