with

scored as (
    select * from {{ ref('watch_time_model_predictions') }}
),

final as (
    select
        interaction_id,
        predicted_watch_time_seconds,
        dataset_type
    from scored
)

select * from final
