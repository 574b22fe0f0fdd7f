// Placeholder so the package builds in this worktree; the lead's branch has the real files.
