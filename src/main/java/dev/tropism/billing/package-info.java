/**
 * Spend and budgets (issue 17): the prices of device time and of serving ({@link dev.tropism.billing.Pricing},
 * {@code tropism.pricing.*}), the training spend ledger and each job's running totals, budget and estimate
 * ({@link dev.tropism.billing.Spend}), and a team's monthly budget with its alert ({@code /v1/teams/{id}/budget},
 * {@link dev.tropism.billing.TeamBudgetAlert}).
 *
 * <p>The jobs module accrues each training step's device time here, in the step's transaction, and asks before a
 * submission or resume whether the team has room; the usage module reads the ledger for {@code GET /v1/usage}. This
 * module depends only on {@code teams}, {@code storage} and {@code web}: jobs hand it what it needs (method type, base
 * model, steps), so that it never depends on {@code jobs}. See {@code docs/governance.md}, "Spend and budgets".
 */
package dev.tropism.billing;
