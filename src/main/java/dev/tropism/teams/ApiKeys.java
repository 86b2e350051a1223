package dev.tropism.teams;

import java.security.SecureRandom;

/** API key secrets: {@code tro_} followed by 40 random base-62 characters. */
final class ApiKeys {

    static final String PREFIX = "tro_";
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final char[] ALPHABET =
            "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".toCharArray();

    private ApiKeys() {
    }

    static String newSecret() {
        char[] out = new char[40];
        for (int i = 0; i < out.length; i++) {
            out[i] = ALPHABET[RANDOM.nextInt(ALPHABET.length)];
        }
        return PREFIX + new String(out);
    }
}
