"""Planning and prediction: buy-till-you-die predictions per client, status forecasts, revenue targets."""
