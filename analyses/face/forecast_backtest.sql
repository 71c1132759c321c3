-- Question (face): how well can interaction time be forecast?
-- Answer: interaction_time_forecast_backtest; the forecasting model against the weekly
-- seasonal-naive and 28-day moving-average baselines, over all horizons.
select
    model_name,
    sum(forecasts) as forecasts,
    sum(mae * forecasts) / sum(forecasts) as mae,
    sum(smape * forecasts) / sum(forecasts) as smape,
    sum(mase * forecasts) / sum(forecasts) as mase
from {{ ref('interaction_time_forecast_backtest') }}
group by model_name
order by mase
