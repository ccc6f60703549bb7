"""Plain nn.Module networks. Each exposes `head`, its final layer, so tasks can swap it."""
