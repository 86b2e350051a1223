package dev.tropism.web;

/** One thing wrong with a request: where (RFC 6901 JSON pointer into the request body) and why. */
public record Violation(String pointer, String reason) {
}
