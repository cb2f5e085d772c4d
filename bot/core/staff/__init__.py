"""Staff tools: the audit log, FAQ edits, broadcasts, status drafts and hand-over tickets."""
