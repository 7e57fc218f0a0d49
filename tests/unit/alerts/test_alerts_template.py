"""The alerts function's deployment, asserted from template.yaml."""

from __future__ import annotations

from typing import Any

from local_stack.template import load_template, resource


def _alerts_event_source() -> dict[str, Any]:
    # An explicit event source mapping: a SAM SQS event would attach a managed policy
    # reading every queue of the account.
    mapping = resource("AlertsFunctionAlertsQueue")
    assert mapping["Type"] == "AWS::Lambda::EventSourceMapping"
    assert mapping["Properties"]["FunctionName"] == {"Ref": "AlertsFunction"}
    return dict(mapping["Properties"])


def _function_timeout() -> int:
    properties = resource("AlertsFunction")["Properties"]
    return int(properties.get("Timeout", load_template()["Globals"]["Function"]["Timeout"]))


def test_the_queue_drives_the_function_with_partial_batch_failures() -> None:
    source = _alerts_event_source()

    assert source["EventSourceArn"] == {"Fn::GetAtt": ["AlertsQueue", "Arn"]}
    assert "ReportBatchItemFailures" in source["FunctionResponseTypes"]
    assert 1 <= source["BatchSize"] <= 10


def test_the_event_source_has_a_maximum_concurrency_from_a_parameter() -> None:
    scaling = _alerts_event_source()["ScalingConfig"]

    assert scaling["MaximumConcurrency"] == {"Ref": "AlertsMaxConcurrency"}
    assert load_template()["Parameters"]["AlertsMaxConcurrency"]["MinValue"] >= 2


def test_the_visibility_timeout_is_at_least_six_times_the_function_timeout() -> None:
    queue = resource("AlertsQueue")["Properties"]

    assert queue["VisibilityTimeout"] >= 6 * _function_timeout()


def test_records_reach_the_dead_letter_queue_after_the_parameter_number_of_tries() -> None:
    redrive = resource("AlertsQueue")["Properties"]["RedrivePolicy"]

    assert redrive["maxReceiveCount"] == {"Ref": "AlertMaxReceiveCount"}
    assert redrive["deadLetterTargetArn"] == {"Fn::GetAtt": ["AlertsDeadLetterQueue", "Arn"]}
    # The dead-letter queue keeps a record longer than the queue itself, for a redrive.
    dead_letter = resource("AlertsDeadLetterQueue")["Properties"]
    assert (
        dead_letter["MessageRetentionPeriod"]
        > resource("AlertsQueue")["Properties"]["MessageRetentionPeriod"]
    )


def _statements() -> list[dict[str, Any]]:
    policies = resource("AlertsFunction")["Properties"]["Policies"]
    return [statement for policy in policies for statement in policy["Statement"]]


def test_the_function_may_write_only_alert_and_storm_items_and_send_its_markers() -> None:
    by_sid = {statement["Sid"]: statement for statement in _statements()}

    table = by_sid["RecordSentAlertsAndStormWindows"]
    assert set(table["Action"]) == {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:GetItem"}
    assert table["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"] == [
        "ALERT#*",
        "STORM#*",
    ]
    markers = by_sid["ScheduleStormDigests"]
    assert markers["Action"] == ["sqs:SendMessage"]
    assert markers["Resource"] == {"Fn::GetAtt": ["AlertsQueue", "Arn"]}
    assert by_sid["PublishAlerts"]["Resource"] == {"Ref": "AlertTopic"}


def test_the_function_may_tell_the_operations_topic_and_use_its_key_through_sns_only() -> None:
    by_sid = {statement["Sid"]: statement for statement in _statements()}
    variables = resource("AlertsFunction")["Properties"]["Environment"]["Variables"]

    assert variables["OPERATIONS_TOPIC_ARN"] == {"Ref": "OpsTopic"}
    assert by_sid["TellOperationsOfRefusingTargets"]["Action"] == ["sns:Publish"]
    assert by_sid["TellOperationsOfRefusingTargets"]["Resource"] == {"Ref": "OpsTopic"}
    # The operations topic is encrypted with a key of its own (CloudWatch needs one), so a
    # publisher needs that key too, and only for SNS to use on its behalf.
    key = by_sid["EncryptForOperationsTopic"]
    assert key["Action"] == ["kms:GenerateDataKey", "kms:Decrypt"]
    assert key["Resource"] == {"Fn::GetAtt": ["OpsTopicKey", "Arn"]}
    assert key["Condition"] == {
        "StringEquals": {"kms:ViaService": {"Fn::Sub": "sns.${AWS::Region}.amazonaws.com"}}
    }
    assert resource("OpsTopic")["Properties"]["KmsMasterKeyId"] == {"Ref": "OpsTopicKey"}


def test_the_function_knows_its_own_queue_for_digest_markers() -> None:
    variables = resource("AlertsFunction")["Properties"]["Environment"]["Variables"]

    assert variables["ALERTS_QUEUE_URL"] == {"Ref": "AlertsQueue"}


def test_alarms_watch_the_dead_letter_queues_errors_and_throttles() -> None:
    watched = {}
    for logical_id in (
        "AlertsDeadLetterAlarm",
        "AlertsPipeDeadLetterAlarm",
        "AlertsErrorsAlarm",
        "AlertsThrottlesAlarm",
    ):
        alarm = resource(logical_id)["Properties"]
        assert alarm["AlarmActions"] == [{"Ref": "OpsTopic"}]
        watched[logical_id] = (alarm["MetricName"], alarm["Dimensions"][0]["Value"])

    assert watched["AlertsDeadLetterAlarm"] == (
        "ApproximateNumberOfMessagesVisible",
        {"Fn::GetAtt": ["AlertsDeadLetterQueue", "QueueName"]},
    )
    assert watched["AlertsErrorsAlarm"] == ("Errors", {"Ref": "AlertsFunction"})
    assert watched["AlertsThrottlesAlarm"] == ("Throttles", {"Ref": "AlertsFunction"})
