-- Question (face): which captures look like sensor errors?
-- Answer: landmark_capture_anomalies; flagged captures by reason.
select
    reason,
    count(*) as captures,
    count(distinct user_id) as users_flagged,
    median(anomaly_score) as median_anomaly_score
from {{ ref('landmark_capture_anomalies') }}
where is_anomaly
group by reason
order by captures desc, reason asc
