"""The AMI bridge: the one door through which Asterisk's events enter the CRM.

AMI events are translated once into typed call events (``translate``) and applied by the same
service the FastAGI server's events go through. The bridge also carries the CRM's commands to
Asterisk (queue membership, originate), with timeouts panoramisk does not have.
"""
