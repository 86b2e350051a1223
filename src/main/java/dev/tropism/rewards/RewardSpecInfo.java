package dev.tropism.rewards;

import java.util.Set;

/**
 * A reward spec's metadata as other modules see it.
 *
 * @param itemFields every {@code item.<field>} its templates name; a job's dataset must have them all
 */
public record RewardSpecInfo(String id, String teamId, String name, Set<String> itemFields) {
}
