/**
 * Team quotas (issue 17): how many jobs a team may have in flight and how many bytes it may store. The modules that
 * hold what a quota counts ({@code jobs}, {@code models}, {@code datasets}) implement {@link dev.tropism.quotas.QuotaUsage}
 * and ask {@link dev.tropism.quotas.Quotas} before they take more, so this module depends on none of them.
 */
package dev.tropism.quotas;
