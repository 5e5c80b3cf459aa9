POLICY = {
    "cities.survey_upload": "coordinator",
    "cities.survey_preview": "coordinator",
    "cities.survey_confirm": "coordinator",
    "cities.survey_result": "coordinator",
    "cities.survey_job": "coordinator",
    "cities.survey_job_status": "coordinator",
    "cities.survey_job_confirm": "coordinator",
    "cities.survey_template": "coordinator",
    "cities.export_csv": "coordinator",
}
