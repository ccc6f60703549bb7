"""Models: pure nn.Module components in `components/`, LightningModule tasks beside them."""
