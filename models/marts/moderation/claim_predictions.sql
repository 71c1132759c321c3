with

classified as (
    select * from {{ ref('int_claims_videos_classified') }}
),

prioritised as (
    select
        video_id,
        model_name,
        claim_probability,
        predicted_claim_status,
        dataset_type,
        claim_status,
        row_number() over (order by claim_probability desc, video_id asc) as review_priority
    from classified
),

final as (
    select
        cast(video_id as {{ dbt.type_bigint() }}) as video_id,
        cast(claim_probability as {{ type_double() }}) as claim_probability,
        cast(predicted_claim_status as {{ dbt.type_string() }}) as predicted_claim_status,
        cast(review_priority as {{ dbt.type_bigint() }}) as review_priority,
        cast(dataset_type as {{ dbt.type_string() }}) as dataset_type,
        cast(claim_status as {{ dbt.type_string() }}) as claim_status,
        cast(model_name as {{ dbt.type_string() }}) as model_name
    from prioritised
)

select * from final
