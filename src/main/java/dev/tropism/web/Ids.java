package dev.tropism.web;

import java.security.SecureRandom;

/** Prefixed, URL-safe, unguessable resource ids such as {@code job_3kq9x0c2m7a1}. */
public final class Ids {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final char[] ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz".toCharArray();

    private Ids() {
    }

    /** A new id: {@code prefix} (e.g. {@code "job_"}) followed by 16 random base-36 characters. */
    public static String newId(String prefix) {
        char[] out = new char[16];
        for (int i = 0; i < out.length; i++) {
            out[i] = ALPHABET[RANDOM.nextInt(ALPHABET.length)];
        }
        return prefix + new String(out);
    }
}
