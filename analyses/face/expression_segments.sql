-- Question (face): which expression habits group together, and how do they relate to Animoji
-- versus FaceID use?
-- Answer: expression_segment_product_mix, one row per segment.
select
    segment_id,
    segment_label,
    users,
    animoji_time_share,
    faceid_time_share,
    animoji_sessions_per_user,
    faceid_sessions_per_user,
    primary_product
from {{ ref('expression_segment_product_mix') }}
order by segment_id
