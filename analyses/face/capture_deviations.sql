-- Question (face): which captures deviate most from their user's typical face shape, and when?
-- Answer: landmark_capture_anomalies, one row per capture with its deviation and whether (and
-- why) it is flagged as an anomaly, the largest deviations first.
select
    user_id,
    captured_at,
    capture_deviation,
    is_anomaly,
    reason
from {{ ref('landmark_capture_anomalies') }}
order by capture_deviation desc nulls last, user_id asc, captured_at asc
