"""Motion imitation with a learned TRIRL reward: base config, MDP terms, environment class, agent configs."""
