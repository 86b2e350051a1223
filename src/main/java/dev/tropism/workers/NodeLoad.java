package dev.tropism.workers;

import java.util.Set;

/** What a training node is working on, reported with each heartbeat (implemented by the jobs module). */
public interface NodeLoad {

    /** Ids of the jobs this process is training now. */
    Set<String> runningJobs();
}
