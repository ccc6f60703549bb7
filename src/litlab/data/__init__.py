"""LightningDataModules: one per file, each configured by one yaml in conf/data/."""
